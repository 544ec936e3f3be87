package dev.recall.runtime.template;

import dev.recall.runtime.template.Node.Args;
import dev.recall.runtime.template.Node.Expr;
import dev.recall.runtime.template.Node.Stmt;
import dev.recall.runtime.template.Py.Undefined;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a parsed template over plain data, with Jinja's scoping: a loop body and a macro body have
 * scopes of their own, {@code if} does not, and only a namespace carries values out of a loop. Every
 * step is counted against {@link TemplateLimits}.
 */
final class Renderer {

    private static final Object MISSING = new Object();

    /** Loop control; no stack trace, since it is control flow. */
    private static final class LoopSignal extends RuntimeException {
        final boolean isBreak;

        LoopSignal(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private static final LoopSignal BREAK = new LoopSignal(true);
    private static final LoopSignal CONTINUE = new LoopSignal(false);

    private static final class Scope {
        final Scope parent;
        final Map<String, Object> vars = new HashMap<>();

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.getOrDefault(name, MISSING);
                if (v != MISSING) {
                    return v;
                }
            }
            return MISSING;
        }
    }

    final TemplateLimits limits;
    private final java.time.Clock clock;
    private final long deadline;
    private long steps;
    private int depth;

    Renderer(TemplateLimits limits, java.time.Clock clock) {
        this.limits = limits;
        this.clock = clock;
        this.deadline = System.nanoTime() + limits.timeout().toNanos();
    }

    String render(List<Stmt> template, Map<String, Object> variables) {
        Scope globals = new Scope(null);
        globals.vars.putAll(Builtins.globals());
        Scope scope = new Scope(globals);
        variables.forEach((k, v) -> scope.vars.put(k, Data.of(v)));
        StringBuilder out = new StringBuilder();
        run(template, scope, out);
        return out.toString();
    }

    /** The local time strftime_now formats. */
    java.time.LocalDateTime now() {
        return java.time.LocalDateTime.now(clock);
    }

    // ---- limits -----------------------------------------------------------------------------

    /** Counts work; {@code amount} for operations that touch many items at once. */
    void charge(long amount, int line) {
        steps += amount;
        if (steps > limits.maxSteps()) {
            throw new TemplateException(line, "the template ran more than " + limits.maxSteps() + " steps");
        }
        if ((steps & 0x3ff) < amount || amount > 0x3ff) {
            if (System.nanoTime() - deadline > 0) {
                throw new TemplateException(line, "the template ran longer than " + limits.timeout().toMillis() + " ms");
            }
        }
    }

    /**
     * Refuses a string or list longer than the output limit before it is built, and counts the work
     * of building it (a step per 256 items).
     */
    void checkSize(long size, int line) {
        checkLength(size, line);
        charge(1 + size / 256, line);
    }

    /** A builder of {@code current} items is to grow by {@code added}: refused past the limit, counted. */
    void grow(long current, long added, int line) {
        checkLength(current + added, line);
        charge(1 + added / 256, line);
    }

    private void checkLength(long size, int line) {
        if (size > limits.maxOutputChars()) {
            throw new TemplateException(line, "the template built a value of " + size + " items, more than the limit of "
                    + limits.maxOutputChars());
        }
    }

    private void enter(int line) {
        if (++depth > limits.maxDepth()) {
            throw new TemplateException(line, "the template nests deeper than " + limits.maxDepth() + " levels when run");
        }
    }

    private void append(StringBuilder out, String s, int line) {
        grow(out.length(), s.length(), line);
        out.append(s);
    }

    // ---- statements -------------------------------------------------------------------------

    private void run(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) {
            charge(1, s.line());
            enter(s.line());
            try {
                execute(s, scope, out);
            } catch (TemplateException e) {
                throw e.atLine(s.line());
            } finally {
                depth--;
            }
        }
    }

    private void execute(Stmt stmt, Scope scope, StringBuilder out) {
        switch (stmt) {
            case Node.Text t -> append(out, t.text(), t.line());
            case Node.Output o -> {
                Object v = eval(o.value(), scope);
                if (!(v instanceof Undefined u) || u.unsafe() == null) {
                    append(out, Py.str(v), o.line());
                }
            }
            case Node.If i -> {
                for (int k = 0; k < i.tests().size(); k++) {
                    if (Py.truthy(eval(i.tests().get(k), scope))) {
                        run(i.bodies().get(k), scope, out);
                        return;
                    }
                }
                run(i.orElse(), scope, out);
            }
            case Node.For f -> loop(f, scope, out);
            case Node.Set s -> assign(s, scope);
            case Node.SetBlock s -> {
                StringBuilder captured = new StringBuilder();
                run(s.body(), scope, captured);
                scope.vars.put(s.name(), captured.toString());
            }
            case Node.Macro m -> scope.vars.put(m.name(), new Macro(m, scope));
            case Node.FilterBlock f -> {
                StringBuilder captured = new StringBuilder();
                run(f.body(), scope, captured);
                append(out, Py.str(filter(f.filter(), captured.toString(), scope)), f.line());
            }
            case Node.Block b -> run(b.body(), scope, out);
            case Node.Break b -> throw BREAK;
            case Node.Continue c -> throw CONTINUE;
        }
    }

    private void loop(Node.For f, Scope scope, StringBuilder out) {
        Object iterable = eval(f.iterable(), scope);
        List<Object> items = new ArrayList<>();
        for (Object item : Py.iterate(iterable, f.line())) {
            charge(1, f.line());
            if (f.filter() != null) {
                Scope test = new Scope(scope);
                bind(f.targets(), item, test, f.line());
                if (!Py.truthy(eval(f.filter(), test))) {
                    continue;
                }
            }
            items.add(item);
        }
        if (items.isEmpty()) {
            run(f.orElse(), scope, out);
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            Scope body = new Scope(scope);
            bind(f.targets(), items.get(i), body, f.line());
            body.vars.put("loop", new LoopInfo(items, i));
            try {
                run(f.body(), body, out);
            } catch (LoopSignal signal) {
                if (signal.isBreak) {
                    break;
                }
            }
        }
    }

    private void bind(List<String> targets, Object value, Scope scope, int line) {
        if (targets.size() == 1) {
            scope.vars.put(targets.get(0), value);
            return;
        }
        List<Object> parts = value instanceof String || value instanceof List || value instanceof Map
                ? Py.toList(value, line) : null;
        if (parts == null) {
            throw new TemplateException(line, "cannot unpack a " + Py.typeName(value) + " into " + targets.size() + " names");
        }
        if (parts.size() != targets.size()) {
            throw new TemplateException(line, (parts.size() > targets.size() ? "too many" : "not enough")
                    + " values to unpack (expected " + targets.size() + ", got " + parts.size() + ")");
        }
        for (int i = 0; i < targets.size(); i++) {
            scope.vars.put(targets.get(i), parts.get(i));
        }
    }

    private void assign(Node.Set s, Scope scope) {
        Object value = eval(s.value(), scope);
        if (s.attribute() == null) {
            bind(s.targets(), value, scope, s.line());
            return;
        }
        Object target = scope.lookup(s.targets().get(0));
        if (!(target instanceof Py.Namespace ns)) {
            throw new TemplateException(s.line(), "cannot set an attribute of '" + s.targets().get(0)
                    + "': only a namespace() can be changed");
        }
        ns.attributes.put(s.attribute(), value);
    }

    // ---- expressions ------------------------------------------------------------------------

    Object eval(Expr e, Scope scope) {
        charge(1, e.line());
        enter(e.line());
        try {
            return evaluate(e, scope);
        } finally {
            depth--;
        }
    }

    private Object evaluate(Expr expr, Scope scope) {
        return switch (expr) {
            case Node.Literal l -> l.value();
            case Node.Name n -> {
                Object v = scope.lookup(n.name());
                yield v == MISSING ? Undefined.named(n.name()) : v;
            }
            case Node.ListExpr l -> {
                List<Object> items = new ArrayList<>(l.items().size());
                for (Expr item : l.items()) {
                    items.add(eval(item, scope));
                }
                yield l.tuple() ? new Py.Tuple(items) : Py.list(items);
            }
            case Node.DictExpr d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Data.put(map, Data.key(eval(d.keys().get(i), scope), d.line()), eval(d.values().get(i), scope));
                }
                yield java.util.Collections.unmodifiableMap(map);
            }
            case Node.GetAttr a -> Builtins.attribute(defined(eval(a.target(), scope), a.line()), a.name(), a.line());
            case Node.GetItem g -> Builtins.item(defined(eval(g.target(), scope), g.line()), eval(g.index(), scope), g.line());
            case Node.Slice s -> Builtins.slice(this, defined(eval(s.target(), scope), s.line()),
                    s.start() == null ? null : eval(s.start(), scope),
                    s.stop() == null ? null : eval(s.stop(), scope),
                    s.step() == null ? null : eval(s.step(), scope), s.line());
            case Node.Call c -> {
                Object function = eval(c.function(), scope);
                if (function instanceof Undefined u) {
                    throw u.error(c.line());
                }
                if (!(function instanceof Py.Callable callable)) {
                    throw new TemplateException(c.line(), "'" + Py.typeName(function) + "' object is not callable");
                }
                List<Object> positional = new ArrayList<>();
                Map<String, Object> named = new LinkedHashMap<>();
                arguments(c.args(), scope, positional, named);
                yield callable.call(this, positional, named, c.line());
            }
            case Node.Filter f -> filter(f, eval(f.value(), scope), scope);
            case Node.Test t -> {
                List<Object> positional = new ArrayList<>();
                Map<String, Object> named = new LinkedHashMap<>();
                arguments(t.args(), scope, positional, named);
                boolean result = Builtins.test(this, t.name(), eval(t.value(), scope), positional, named, t.line());
                yield result != t.negated();
            }
            case Node.Unary u -> switch (u.op()) {
                case "not" -> !Py.truthy(eval(u.operand(), scope));
                default -> Builtins.unary(u.op(), defined(eval(u.operand(), scope), u.line()), u.line());
            };
            case Node.Binary b -> switch (b.op()) {
                case "and" -> {
                    Object left = eval(b.left(), scope);
                    yield Py.truthy(left) ? eval(b.right(), scope) : left;
                }
                case "or" -> {
                    Object left = eval(b.left(), scope);
                    yield Py.truthy(left) ? left : eval(b.right(), scope);
                }
                default -> Builtins.binary(this, b.op(), eval(b.left(), scope), eval(b.right(), scope), b.line());
            };
            case Node.Compare c -> {
                Object left = eval(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.rest().get(i), scope);
                    if (!Builtins.compare(c.ops().get(i), left, right, c.line())) {
                        yield false;
                    }
                    left = right;
                }
                yield true;
            }
            case Node.Conditional c -> Py.truthy(eval(c.test(), scope)) ? eval(c.then(), scope)
                    : c.orElse() == null ? Undefined.named("the else branch") : eval(c.orElse(), scope);
        };
    }

    private static Object defined(Object value, int line) {
        if (value instanceof Undefined u) {
            throw u.error(line);
        }
        return value;
    }

    private Object filter(Node.Filter f, Object value, Scope scope) {
        List<Object> positional = new ArrayList<>();
        Map<String, Object> named = new LinkedHashMap<>();
        arguments(f.args(), scope, positional, named);
        return Builtins.filter(this, f.name(), value, positional, named, f.line());
    }

    private void arguments(Args args, Scope scope, List<Object> positional, Map<String, Object> named) {
        for (Expr e : args.positional()) {
            positional.add(eval(e, scope));
        }
        for (int i = 0; i < args.names().size(); i++) {
            named.put(args.names().get(i), eval(args.named().get(i), scope));
        }
    }

    // ---- macros and loops -------------------------------------------------------------------

    /** A macro closes over the scope it was defined in, as Jinja's do. */
    private record Macro(Node.Macro definition, Scope defined) implements Py.Callable {

        @Override
        public Object call(Renderer r, List<Object> args, Map<String, Object> kwargs, int line) {
            List<String> params = definition.params();
            if (args.size() > params.size()) {
                throw new TemplateException(line, "macro '" + definition.name() + "' takes at most " + params.size()
                        + " arguments, " + args.size() + " given");
            }
            Scope scope = new Scope(defined);
            for (String name : kwargs.keySet()) {
                if (!params.contains(name)) {
                    throw new TemplateException(line, "macro '" + definition.name() + "' has no argument '" + name + "'");
                }
            }
            for (int i = 0; i < params.size(); i++) {
                String p = params.get(i);
                Object value;
                if (i < args.size()) {
                    value = args.get(i);
                } else if (kwargs.containsKey(p)) {
                    value = kwargs.get(p);
                } else if (definition.defaults().get(i) != null) {
                    value = r.eval(definition.defaults().get(i), scope);
                } else {
                    value = Undefined.named(p);
                }
                scope.vars.put(p, value);
            }
            StringBuilder out = new StringBuilder();
            r.enter(line);
            try {
                r.run(definition.body(), scope, out);
            } finally {
                r.depth--;
            }
            return out.toString();
        }
    }

    /** Jinja's {@code loop}: index, index0, revindex, revindex0, first, last, length, previtem, nextitem, cycle. */
    record LoopInfo(List<Object> items, int index) {

        Object attribute(String name) {
            int n = items.size();
            return switch (name) {
                case "index" -> (long) index + 1;
                case "index0" -> (long) index;
                case "revindex" -> (long) (n - index);
                case "revindex0" -> (long) (n - index - 1);
                case "first" -> index == 0;
                case "last" -> index == n - 1;
                case "length" -> (long) n;
                case "depth" -> 1L;
                case "depth0" -> 0L;
                case "previtem" -> index > 0 ? items.get(index - 1) : Undefined.named("loop.previtem");
                case "nextitem" -> index < n - 1 ? items.get(index + 1) : Undefined.named("loop.nextitem");
                case "cycle" -> (Py.Callable) (r, args, kwargs, line) -> {
                    if (args.isEmpty()) {
                        throw new TemplateException(line, "loop.cycle needs at least one value");
                    }
                    return args.get(index % args.size());
                };
                default -> Undefined.named("loop." + name);
            };
        }
    }
}
