namespace Hone.Tokenizers.ChatTemplates;

// Expressions. Pos is the char offset in the normalized source (for line:column in errors).

internal abstract record Expr(int Pos);
internal sealed record ConstExpr(int Pos, object? Value) : Expr(Pos);
internal sealed record NameExpr(int Pos, string Name) : Expr(Pos);
internal sealed record AttrExpr(int Pos, Expr Obj, string Name) : Expr(Pos);
internal sealed record ItemExpr(int Pos, Expr Obj, Expr Key) : Expr(Pos);
internal sealed record SliceExpr(int Pos, Expr Obj, Expr? Start, Expr? Stop, Expr? Step) : Expr(Pos);
internal sealed record Arg(string? Name, Expr Value);
internal sealed record CallExpr(int Pos, Expr Func, IReadOnlyList<Arg> Args) : Expr(Pos);
internal sealed record FilterExpr(int Pos, Expr? Value, string Name, IReadOnlyList<Arg> Args) : Expr(Pos);
internal sealed record TestExpr(int Pos, Expr Value, string Name, IReadOnlyList<Arg> Args, bool Negated) : Expr(Pos);
internal sealed record UnaryExpr(int Pos, string Op, Expr Operand) : Expr(Pos);
internal sealed record BinaryExpr(int Pos, string Op, Expr Left, Expr Right) : Expr(Pos);
internal sealed record CompareExpr(int Pos, Expr First, IReadOnlyList<(string Op, Expr Right)> Rest) : Expr(Pos);
internal sealed record CondExpr(int Pos, Expr Test, Expr Then, Expr? Else) : Expr(Pos);
internal sealed record ListExpr(int Pos, IReadOnlyList<Expr> Items, bool IsTuple) : Expr(Pos);
internal sealed record DictExpr(int Pos, IReadOnlyList<(Expr Key, Expr Value)> Items) : Expr(Pos);

// Statements.

internal abstract record Stmt(int Pos);
internal sealed record Body(IReadOnlyList<Stmt> Stmts);
internal sealed record TextStmt(int Pos, string Text) : Stmt(Pos);
internal sealed record OutputStmt(int Pos, Expr Value) : Stmt(Pos);
internal sealed record IfStmt(int Pos, IReadOnlyList<(Expr Cond, Body Body)> Branches, Body? Else) : Stmt(Pos);

/// <summary>Assignment target: a name, <c>ns.attr</c>, or a tuple of names.</summary>
internal sealed record Target(int Pos, IReadOnlyList<string> Names, string? Attr, bool IsTuple);

internal sealed record ForStmt(int Pos, Target Target, Expr Iter, Expr? Filter, Body Body, Body? Else, bool Recursive) : Stmt(Pos);
internal sealed record SetStmt(int Pos, Target Target, Expr Value) : Stmt(Pos);
internal sealed record SetBlockStmt(int Pos, Target Target, IReadOnlyList<FilterExpr> Filters, Body Body) : Stmt(Pos);
internal sealed record MacroParam(string Name, Expr? Default);
internal sealed record MacroStmt(int Pos, string Name, IReadOnlyList<MacroParam> Params, Body Body) : Stmt(Pos);
internal sealed record CallBlockStmt(int Pos, CallExpr Call, IReadOnlyList<MacroParam> CallerParams, Body Body) : Stmt(Pos);
internal sealed record FilterBlockStmt(int Pos, IReadOnlyList<FilterExpr> Filters, Body Body) : Stmt(Pos);
internal sealed record BreakStmt(int Pos) : Stmt(Pos);
internal sealed record ContinueStmt(int Pos) : Stmt(Pos);
internal sealed record DoStmt(int Pos, Expr Value) : Stmt(Pos);
internal sealed record GenerationStmt(int Pos, Body Body) : Stmt(Pos);
