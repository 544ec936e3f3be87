package dev.recall.runtime.template;

import dev.recall.runtime.template.Lexer.Kind;
import dev.recall.runtime.template.Lexer.Token;
import dev.recall.runtime.template.Node.Args;
import dev.recall.runtime.template.Node.Expr;
import dev.recall.runtime.template.Node.Stmt;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Jinja's grammar, with Jinja's operator precedence, for the statements chat templates use: if, for
 * (with else, a filter and loop controls), set (also of a namespace attribute, and as a block),
 * macro, filter, raw and Hugging Face's generation. Tags that load other templates (include,
 * import, from, extends, block) are refused: a template sees nothing but what it is given.
 */
final class Parser {

    /** Statement and expression nesting together; real chat templates stay below 20. */
    static final int MAX_NESTING = 100;

    private static final Set<String> LOADING_TAGS = Set.of("include", "import", "from", "extends", "block");
    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", ">", "<=", ">=");

    private final List<Token> tokens;
    private int at;
    private int nesting;
    private int loops;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Stmt> parse(String template) {
        Parser p = new Parser(Lexer.tokenize(template));
        List<Stmt> body = p.body(Set.of());
        if (p.peek().kind() != Kind.EOF) {
            Token t = p.tokens.get(p.at + 1);
            throw new TemplateException(t.line(), "unexpected '{% " + t.value() + " %}'");
        }
        return body;
    }

    // ---- tokens -----------------------------------------------------------------------------

    private Token peek() {
        return tokens.get(at);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(at + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(at);
        if (t.kind() != Kind.EOF) {
            at++;
        }
        return t;
    }

    private boolean skipOp(String op) {
        if (peek().isOp(op)) {
            at++;
            return true;
        }
        return false;
    }

    private boolean skipName(String name) {
        if (peek().isName(name)) {
            at++;
            return true;
        }
        return false;
    }

    private void expectOp(String op) {
        if (!skipOp(op)) {
            throw unexpected("'" + op + "'");
        }
    }

    private String expectName() {
        if (peek().kind() != Kind.NAME) {
            throw unexpected("a name");
        }
        return next().value();
    }

    private void expectBlockEnd() {
        if (peek().kind() != Kind.BLOCK_END) {
            throw unexpected("the end of the tag");
        }
        next();
    }

    private TemplateException unexpected(String expected) {
        Token t = peek();
        String found = switch (t.kind()) {
            case EOF -> "the end of the template";
            case BLOCK_END -> "'%}'";
            case VAR_END -> "'}}'";
            case TEXT -> "text";
            case STRING -> "a string";
            default -> "'" + TemplateException.quote(t.value()) + "'";
        };
        return new TemplateException(t.line(), "expected " + expected + ", found " + found);
    }

    private void enter() {
        if (++nesting > MAX_NESTING) {
            throw new TemplateException(peek().line(), "the template nests deeper than " + MAX_NESTING + " levels");
        }
    }

    // ---- statements -------------------------------------------------------------------------

    /** Statements up to a {@code {% tag %}} named in {@code ends} (not consumed) or the end. */
    private List<Stmt> body(Set<String> ends) {
        enter();
        List<Stmt> out = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!ends.isEmpty()) {
                        throw new TemplateException(t.line(), "the template ends before '{% " + String.join(" %}' or '{% ", ends.stream().sorted().toList()) + " %}'");
                    }
                    nesting--;
                    return out;
                }
                case TEXT -> {
                    next();
                    out.add(new Node.Text(t.value(), t.line()));
                }
                case VAR_BEGIN -> {
                    next();
                    Expr e = tuple(true);
                    if (peek().kind() != Kind.VAR_END) {
                        throw unexpected("'}}'");
                    }
                    next();
                    out.add(new Node.Output(e, t.line()));
                }
                case BLOCK_BEGIN -> {
                    Token name = peek(1);
                    if (name.kind() == Kind.NAME && ends.contains(name.value())) {
                        nesting--;
                        return out;
                    }
                    next();
                    out.add(statement());
                }
                default -> throw unexpected("text or a tag");
            }
        }
    }

    private Stmt statement() {
        Token t = peek();
        if (t.kind() != Kind.NAME) {
            throw unexpected("a tag name");
        }
        String tag = t.value();
        if (LOADING_TAGS.contains(tag)) {
            throw new TemplateException(t.line(), "'{% " + tag + " %}' is not allowed: a chat template cannot load other templates");
        }
        next();
        return switch (tag) {
            case "if" -> ifStatement(t.line());
            case "for" -> forStatement(t.line());
            case "set" -> setStatement(t.line());
            case "macro" -> macro(t.line());
            case "filter" -> filterBlock(t.line());
            case "generation" -> {
                expectBlockEnd();
                List<Stmt> body = body(Set.of("endgeneration"));
                endTag("endgeneration");
                yield new Node.Block(body, t.line());
            }
            case "break", "continue" -> {
                if (loops == 0) {
                    throw new TemplateException(t.line(), "'{% " + tag + " %}' outside a loop");
                }
                expectBlockEnd();
                yield tag.equals("break") ? new Node.Break(t.line()) : new Node.Continue(t.line());
            }
            default -> throw new TemplateException(t.line(), "unknown tag '" + TemplateException.quote(tag) + "'");
        };
    }

    private void endTag(String name) {
        next(); // {%
        next(); // the name
        expectBlockEnd();
    }

    private Stmt ifStatement(int line) {
        List<Expr> tests = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        List<Stmt> orElse = List.of();
        tests.add(tuple(false));
        expectBlockEnd();
        while (true) {
            bodies.add(body(Set.of("elif", "else", "endif")));
            next();
            String tag = next().value();
            if (tag.equals("elif")) {
                tests.add(tuple(false));
                expectBlockEnd();
                continue;
            }
            if (tag.equals("else")) {
                expectBlockEnd();
                orElse = body(Set.of("endif"));
                endTag("endif");
            } else {
                expectBlockEnd();
            }
            return new Node.If(tests, bodies, orElse, line);
        }
    }

    private Stmt forStatement(int line) {
        List<String> targets = targets();
        if (!skipName("in")) {
            throw unexpected("'in'");
        }
        Expr iterable = tuple(false);
        Expr filter = skipName("if") ? expression(true) : null;
        if (peek().isName("recursive")) {
            throw new TemplateException(peek().line(), "recursive loops are not supported");
        }
        expectBlockEnd();
        loops++;
        List<Stmt> body = body(Set.of("else", "endfor"));
        loops--;
        List<Stmt> orElse = List.of();
        next();
        if (next().value().equals("else")) {
            expectBlockEnd();
            orElse = body(Set.of("endfor"));
            endTag("endfor");
        } else {
            expectBlockEnd();
        }
        return new Node.For(targets, iterable, filter, body, orElse, line);
    }

    private List<String> targets() {
        boolean parens = skipOp("(");
        List<String> names = new ArrayList<>();
        do {
            names.add(expectName());
        } while (skipOp(","));
        if (parens) {
            expectOp(")");
        }
        return names;
    }

    private Stmt setStatement(int line) {
        String first = expectName();
        if (skipOp(".")) {
            String attribute = expectName();
            expectOp("=");
            Expr value = tuple(true);
            expectBlockEnd();
            return new Node.Set(List.of(first), attribute, value, line);
        }
        List<String> names = new ArrayList<>(List.of(first));
        while (skipOp(",")) {
            names.add(expectName());
        }
        if (skipOp("=")) {
            Expr value = tuple(true);
            expectBlockEnd();
            return new Node.Set(names, null, value, line);
        }
        if (names.size() > 1 || peek().kind() != Kind.BLOCK_END) {
            throw unexpected("'='");
        }
        next();
        List<Stmt> body = body(Set.of("endset"));
        endTag("endset");
        return new Node.SetBlock(first, body, line);
    }

    private Stmt macro(int line) {
        String name = expectName();
        expectOp("(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!skipOp(")")) {
            if (!params.isEmpty()) {
                expectOp(",");
                if (skipOp(")")) {
                    break;
                }
            }
            params.add(expectName());
            defaults.add(skipOp("=") ? expression(true) : null);
        }
        expectBlockEnd();
        List<Stmt> body = body(Set.of("endmacro"));
        endTag("endmacro");
        return new Node.Macro(name, params, defaults, body, line);
    }

    private Stmt filterBlock(int line) {
        Token name = peek();
        String filter = expectName();
        Args args = peek().isOp("(") ? callArgs() : Args.NONE;
        expectBlockEnd();
        List<Stmt> body = body(Set.of("endfilter"));
        endTag("endfilter");
        return new Node.FilterBlock(new Node.Filter(null, filter, args, name.line()), body, line);
    }

    // ---- expressions ------------------------------------------------------------------------

    /** An expression, or several separated by commas (a tuple, as a list). */
    private Expr tuple(boolean withConditional) {
        int line = peek().line();
        Expr first = expression(withConditional);
        if (!peek().isOp(",")) {
            return first;
        }
        List<Expr> items = new ArrayList<>(List.of(first));
        while (skipOp(",")) {
            if (peek().kind() == Kind.BLOCK_END || peek().kind() == Kind.VAR_END || peek().isOp(")")) {
                break;
            }
            items.add(expression(withConditional));
        }
        return new Node.ListExpr(items, true, line);
    }

    private Expr expression(boolean withConditional) {
        enter();
        int line = peek().line();
        Expr e = or();
        while (withConditional && skipName("if")) {
            Expr test = or();
            Expr orElse = skipName("else") ? expression(true) : null;
            e = new Node.Conditional(test, e, orElse, line);
        }
        nesting--;
        return e;
    }

    private Expr or() {
        return binaryLevel(this::and, "or");
    }

    private Expr and() {
        return binaryLevel(this::not, "and");
    }

    private Expr not() {
        if (peek().isName("not")) {
            int line = next().line();
            enter();
            Expr operand = not();
            nesting--;
            return new Node.Unary("not", operand, line);
        }
        return compare();
    }

    private Expr compare() {
        int line = peek().line();
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OP && COMPARISONS.contains(t.value())) {
                next();
                ops.add(t.value());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                next();
                next();
                ops.add("not in");
            } else {
                break;
            }
            rest.add(math1());
        }
        return ops.isEmpty() ? first : new Node.Compare(first, ops, rest, line);
    }

    private Expr math1() {
        return binaryLevel(this::concat, "+", "-");
    }

    private Expr concat() {
        return binaryLevel(this::math2, "~");
    }

    private Expr math2() {
        return binaryLevel(this::pow, "*", "/", "//", "%");
    }

    private Expr pow() {
        return binaryLevel(() -> unary(true), "**");
    }

    /** One precedence level of left-associative operators (symbols, or the words "and" and "or"). */
    private Expr binaryLevel(Supplier<Expr> operand, String... operators) {
        Expr left = operand.get();
        while (true) {
            Token t = peek();
            String op = null;
            for (String candidate : operators) {
                if (t.isOp(candidate) || t.isName(candidate)) {
                    op = candidate;
                }
            }
            if (op == null) {
                return left;
            }
            next();
            left = new Node.Binary(op, left, operand.get(), t.line());
        }
    }

    private Expr unary(boolean withFilter) {
        Token t = peek();
        Expr e;
        if (t.isOp("-") || t.isOp("+")) {
            next();
            enter();
            e = new Node.Unary(t.value(), unary(false), t.line());
            nesting--;
        } else {
            e = postfix(primary());
        }
        return withFilter ? filters(e) : e;
    }

    private Expr primary() {
        Token t = next();
        return switch (t.kind()) {
            case NAME -> switch (t.value()) {
                case "true", "True" -> new Node.Literal(true, t.line());
                case "false", "False" -> new Node.Literal(false, t.line());
                case "none", "None" -> new Node.Literal(null, t.line());
                default -> new Node.Name(t.value(), t.line());
            };
            case STRING -> {
                StringBuilder s = new StringBuilder(t.value());
                while (peek().kind() == Kind.STRING) {
                    s.append(next().value());
                }
                yield new Node.Literal(s.toString(), t.line());
            }
            case INT -> {
                try {
                    yield new Node.Literal(Long.parseLong(t.value()), t.line());
                } catch (NumberFormatException e) {
                    throw new TemplateException(t.line(), "the integer " + TemplateException.quote(t.value()) + " is too large");
                }
            }
            case FLOAT -> new Node.Literal(Double.parseDouble(t.value()), t.line());
            case OP -> switch (t.value()) {
                case "(" -> {
                    enter();
                    Expr e;
                    if (skipOp(")")) {
                        e = new Node.ListExpr(List.of(), true, t.line());
                    } else {
                        e = tuple(true);
                        expectOp(")");
                    }
                    nesting--;
                    yield e;
                }
                case "[" -> {
                    enter();
                    List<Expr> items = new ArrayList<>();
                    while (!skipOp("]")) {
                        if (!items.isEmpty()) {
                            expectOp(",");
                            if (skipOp("]")) {
                                break;
                            }
                        }
                        items.add(expression(true));
                    }
                    nesting--;
                    yield new Node.ListExpr(items, false, t.line());
                }
                case "{" -> {
                    enter();
                    List<Expr> keys = new ArrayList<>();
                    List<Expr> values = new ArrayList<>();
                    while (!skipOp("}")) {
                        if (!keys.isEmpty()) {
                            expectOp(",");
                            if (skipOp("}")) {
                                break;
                            }
                        }
                        keys.add(expression(true));
                        expectOp(":");
                        values.add(expression(true));
                    }
                    nesting--;
                    yield new Node.DictExpr(keys, values, t.line());
                }
                default -> {
                    at--;
                    throw unexpected("an expression");
                }
            };
            default -> {
                at = Math.max(0, at - 1);
                throw unexpected("an expression");
            }
        };
    }

    private Expr postfix(Expr e) {
        int depth = 0;
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token name = next();
                if (name.kind() == Kind.NAME) {
                    e = new Node.GetAttr(e, name.value(), t.line());
                } else if (name.kind() == Kind.INT) {
                    at--;
                    e = new Node.GetItem(e, primary(), t.line());
                } else {
                    at--;
                    throw unexpected("an attribute name");
                }
            } else if (t.isOp("[")) {
                next();
                e = subscript(e, t.line());
            } else if (t.isOp("(")) {
                e = new Node.Call(e, callArgs(), t.line());
            } else {
                break;
            }
            if (++depth > MAX_NESTING) {
                throw new TemplateException(t.line(), "the template chains more than " + MAX_NESTING + " look-ups");
            }
        }
        return e;
    }

    private Expr subscript(Expr target, int line) {
        enter();
        Expr start = peek().isOp(":") ? null : expression(true);
        Expr result;
        if (start != null && !peek().isOp(":")) {
            if (peek().isOp(",")) {
                List<Expr> items = new ArrayList<>(List.of(start));
                while (skipOp(",") && !peek().isOp("]")) {
                    items.add(expression(true));
                }
                start = new Node.ListExpr(items, true, line);
            }
            result = new Node.GetItem(target, start, line);
        } else {
            expectOp(":");
            Expr stop = peek().isOp("]") || peek().isOp(":") ? null : expression(true);
            Expr step = null;
            if (skipOp(":")) {
                step = peek().isOp("]") ? null : expression(true);
            }
            result = new Node.Slice(target, start, stop, step, line);
        }
        expectOp("]");
        nesting--;
        return result;
    }

    private Args callArgs() {
        expectOp("(");
        enter();
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> named = new ArrayList<>();
        boolean first = true;
        while (!skipOp(")")) {
            if (!first) {
                expectOp(",");
                if (skipOp(")")) {
                    break;
                }
            }
            first = false;
            if (peek().isOp("*") || peek().isOp("**")) {
                throw new TemplateException(peek().line(), "'*' and '**' arguments are not supported");
            }
            if (peek().kind() == Kind.NAME && peek(1).isOp("=")) {
                String name = next().value();
                next();
                if (names.contains(name)) {
                    throw new TemplateException(peek().line(), "the argument '" + name + "' is given twice");
                }
                names.add(name);
                named.add(expression(true));
            } else {
                if (!names.isEmpty()) {
                    throw new TemplateException(peek().line(), "a positional argument follows a named one");
                }
                positional.add(expression(true));
            }
        }
        nesting--;
        return new Args(positional, names, named);
    }

    private Expr filters(Expr e) {
        int depth = 0;
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                next();
                String name = expectName();
                Args args = peek().isOp("(") ? callArgs() : Args.NONE;
                e = new Node.Filter(e, name, args, t.line());
            } else if (t.isName("is")) {
                next();
                boolean negated = skipName("not");
                String name = expectName();
                Args args = Args.NONE;
                Token a = peek();
                if (a.isOp("(")) {
                    args = callArgs();
                } else if ((a.kind() == Kind.NAME || a.kind() == Kind.STRING || a.kind() == Kind.INT
                        || a.kind() == Kind.FLOAT || a.isOp("[") || a.isOp("{"))
                        && !a.isName("else") && !a.isName("or") && !a.isName("and")) {
                    if (a.isName("is")) {
                        throw new TemplateException(a.line(), "tests cannot be chained with 'is'");
                    }
                    args = new Args(List.of(postfix(primary())), List.of(), List.of());
                }
                e = new Node.Test(e, name, args, negated, t.line());
            } else if (t.isOp("(")) {
                e = new Node.Call(e, callArgs(), t.line());
            } else {
                break;
            }
            if (++depth > MAX_NESTING) {
                throw new TemplateException(t.line(), "the template chains more than " + MAX_NESTING + " filters");
            }
        }
        return e;
    }
}
