package dev.recall.runtime.template;

import java.util.List;

/** The parsed template: statements that output text, and the expressions they evaluate. */
sealed interface Node {

    int line();

    // ---- statements -------------------------------------------------------------------------

    sealed interface Stmt extends Node {
    }

    record Text(String text, int line) implements Stmt {
    }

    record Output(Expr value, int line) implements Stmt {
    }

    record If(List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> orElse, int line) implements Stmt {
    }

    /** {@code for targets in iterable [if filter]}; {@code orElse} runs when nothing was iterated. */
    record For(List<String> targets, Expr iterable, Expr filter, List<Stmt> body, List<Stmt> orElse, int line)
            implements Stmt {
    }

    /** {@code set a = x}, {@code set a, b = x} or {@code set ns.attr = x}. */
    record Set(List<String> targets, String attribute, Expr value, int line) implements Stmt {
    }

    /** {@code {% set name %}...{% endset %}}: the body's output, as a string. */
    record SetBlock(String name, List<Stmt> body, int line) implements Stmt {
    }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, int line) implements Stmt {
    }

    /** {@code {% filter name(args) %}...{% endfilter %}}. */
    record FilterBlock(Filter filter, List<Stmt> body, int line) implements Stmt {
    }

    /** A block rendered as it stands: Hugging Face's {@code {% generation %}} marks training text. */
    record Block(List<Stmt> body, int line) implements Stmt {
    }

    record Break(int line) implements Stmt {
    }

    record Continue(int line) implements Stmt {
    }

    // ---- expressions ------------------------------------------------------------------------

    sealed interface Expr extends Node {
    }

    record Literal(Object value, int line) implements Expr {
    }

    /** A list literal, or a tuple: {@code (a, b)}, {@code a, b}. */
    record ListExpr(List<Expr> items, boolean tuple, int line) implements Expr {
    }

    record DictExpr(List<Expr> keys, List<Expr> values, int line) implements Expr {
    }

    record Name(String name, int line) implements Expr {
    }

    record GetAttr(Expr target, String name, int line) implements Expr {
    }

    record GetItem(Expr target, Expr index, int line) implements Expr {
    }

    /** {@code target[start:stop:step]}, any part null when left out. */
    record Slice(Expr target, Expr start, Expr stop, Expr step, int line) implements Expr {
    }

    record Args(List<Expr> positional, List<String> names, List<Expr> named) {
        static final Args NONE = new Args(List.of(), List.of(), List.of());
    }

    record Call(Expr function, Args args, int line) implements Expr {
    }

    /** {@code value | name(args)}; value is null inside a filter block. */
    record Filter(Expr value, String name, Args args, int line) implements Expr {
    }

    record Test(Expr value, String name, Args args, boolean negated, int line) implements Expr {
    }

    record Unary(String op, Expr operand, int line) implements Expr {
    }

    record Binary(String op, Expr left, Expr right, int line) implements Expr {
    }

    /** A chain {@code a < b <= c}: each operator between neighbouring operands. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr {
    }

    record Conditional(Expr test, Expr then, Expr orElse, int line) implements Expr {
    }
}
