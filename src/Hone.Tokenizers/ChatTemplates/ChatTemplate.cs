using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// A parsed chat template (the <c>chat_template</c> of tokenizer_config.json, a Jinja2 subset), rendered in a sandbox with
/// Hugging Face's settings: trim_blocks and lstrip_blocks on, loop controls, <c>tojson</c> as
/// <c>json.dumps(ensure_ascii=False)</c>, <c>raise_exception(msg)</c> and <c>strftime_now(fmt)</c>. Templates cannot reach
/// files, the network or .NET members; output size, loop iterations and call depth are capped. Immutable and thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private readonly Body _body;
    private readonly SourceInfo _info;

    private readonly PlainSkeletons? _skeletons; // null: the template looks into contents (ContentOpacity)

    private ChatTemplate(string source, string name, Body body, SourceInfo info)
    {
        Source = source;
        Name = name;
        _body = body;
        _info = info;
        _skeletons = ContentOpacity.IsOpaque(body) ? new PlainSkeletons() : null;
    }

    /// <summary>Whether plain conversations are written from a rendered shape (<see cref="PlainSkeletons"/>) rather than rendered each.</summary>
    internal bool WritesPlainFromShapes => _skeletons is not null;

    /// <summary>Shapes rendered so far for plain conversations (0 when <see cref="WritesPlainFromShapes"/> is false).</summary>
    internal int PlainShapes => _skeletons?.Count ?? 0;

    /// <summary>The template text as given.</summary>
    public string Source { get; }

    /// <summary>The name used in error messages.</summary>
    public string Name { get; }

    /// <summary>Parses a template; a syntax error raises <see cref="ChatTemplateException"/> with line:column.</summary>
    public static ChatTemplate Parse(string source, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        name ??= "<template>";
        const int maxChars = 4_000_000;
        if (source.Length > maxChars) throw new ChatTemplateException($"{name}: template is {source.Length} chars, more than the {maxChars} a chat template may have");
        var normalized = Lexer.Normalize(source);
        var info = new SourceInfo(name, normalized);
        try
        {
            var tokens = Lexer.Tokenize(normalized, info);
            return new ChatTemplate(source, name, Parser.Parse(tokens), info);
        }
        catch (TemplateErrorAt e)
        {
            throw info.ToException(e);
        }
    }

    /// <summary>Renders the conversation and records the span of every assistant message.</summary>
    public RenderResult Render(ChatRenderInput input)
    {
        var (text, sink, roles, trained) = RenderSink(input);
        var markers = new List<string>(SpanBuilder.DefaultMarkers);
        if (input.EosToken.Length > 0) markers.Add(input.EosToken);
        if (input.EndOfTurnMarkers is not null) markers.AddRange(input.EndOfTurnMarkers.Where(m => m.Length > 0));
        return new RenderResult(text, SpanBuilder.Build(text, sink.Segs, roles, trained, markers));
    }

    /// <summary>The text <see cref="Render"/> gives, without finding the assistant spans (what counting tokens needs).</summary>
    public string RenderText(ChatRenderInput input) => WithOutput(output => RenderSink(input, output).Text);

    /// <summary>
    /// <see cref="RenderText(ChatRenderInput)"/> of messages and tools given as JSON elements rather than nodes:
    /// <paramref name="messages"/> an array of message objects, <paramref name="tools"/> the tools (null: undefined),
    /// with the default limits and no extra variables. The template reads the same values as from nodes parsed from the
    /// same JSON (a repeated key is the caller's to refuse: nodes refuse it), without a node tree per message, and
    /// without tracking which message each string came from (it places spans and never changes the text).
    /// </summary>
    /// <remarks>
    /// A plain conversation (messages of only a role and a string content, no tools) under a template that treats
    /// contents as opaque text is written from its shape's render (<see cref="PlainSkeletons"/>); its twin
    /// <see cref="RenderTextFull"/> renders every conversation, and gives the same text.
    /// </remarks>
    public string RenderText(JsonElement messages, JsonElement? tools, bool addGenerationPrompt, string bosToken, string eosToken)
    {
        ArgumentNullException.ThrowIfNull(bosToken);
        ArgumentNullException.ThrowIfNull(eosToken);
        if (tools is null && _skeletons is { } skeletons
            && skeletons.TryRender(messages, addGenerationPrompt, bosToken, eosToken, ChatTemplateLimits.Default.MaxOutputChars,
                dicts => RenderDicts(dicts, null, false, addGenerationPrompt, bosToken, eosToken), out var text))
            return text!;
        return RenderTextFull(messages, tools, addGenerationPrompt, bosToken, eosToken);
    }

    /// <summary>Naive twin of <see cref="RenderText(JsonElement, JsonElement?, bool, string, string)"/>: every conversation rendered in full.</summary>
    internal string RenderTextFull(JsonElement messages, JsonElement? tools, bool addGenerationPrompt, string bosToken, string eosToken)
    {
        if (messages.ValueKind != JsonValueKind.Array) throw new ChatTemplateException("'messages' must be a JSON array of message objects");
        var list = new List<object?>(messages.GetArrayLength());
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw new ChatTemplateException($"message {list.Count} must be a JSON object with 'role' and 'content'");
            // No provenance (which message a string came from): it only places assistant spans, never changes the
            // text, and tracking it costs a tracked string per message string and per concatenation of one.
            var d = new PyDict();
            foreach (var p in m.EnumerateObject()) d.Set(p.Name, PyJson.FromElement(p.Value));
            list.Add(d);
        }
        return RenderDicts(list, tools is { } t ? PyJson.FromElement(t) : null, tools is not null, addGenerationPrompt, bosToken, eosToken);
    }

    /// <summary>The text of messages already made dicts (no provenance), with the default limits and no extra variables.</summary>
    private string RenderDicts(List<object?> messages, object? tools, bool hasTools, bool addGenerationPrompt, string bosToken, string eosToken)
    {
        var globals = MakeGlobals(messages, tools, hasTools, addGenerationPrompt, bosToken, eosToken, null);
        var limits = ChatTemplateLimits.Default;
        return WithOutput(output => new Renderer(_info, limits, null, output: output).Render(_body, new Scope(globals)).Text.ToString());
    }

    /// <summary>Runs <paramref name="render"/> with the thread's output builder (taken while in use, kept when not too large).</summary>
    private static string WithOutput(Func<StringBuilder, string> render)
    {
        // One render's text is copied out, then the builder serves the next render.
        var output = t_output ?? new StringBuilder();
        t_output = null;
        output.Clear();
        try
        {
            return render(output);
        }
        finally
        {
            if (output.Capacity <= MaxKeptOutputChars) t_output = output;
        }
    }

    /// <summary>Largest output builder a thread keeps for its next <see cref="RenderText"/>.</summary>
    private const int MaxKeptOutputChars = 1 << 20;

    [ThreadStatic] private static StringBuilder? t_output;

    private (string Text, Sink Sink, List<string> Roles, List<bool> Trained) RenderSink(ChatRenderInput input, StringBuilder? output = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var messages = new List<object?>();
        var roles = new List<string>();
        var trained = new List<bool>();
        for (var i = 0; i < input.Messages.Count; i++)
        {
            var node = input.Messages[i] as JsonObject ?? throw new ChatTemplateException($"message {i} must be a JSON object with 'role' and 'content'");
            var d = new PyDict();
            for (var j = 0; j < node.Count; j++)
            {
                var (k, v) = node.GetAt(j);
                var owned = k is "content" or "tool_calls" or "reasoning_content";
                d.Set(k, PyJson.FromNode(v, owned ? i : -1, k == "tool_calls"));
            }
            messages.Add(d);
            roles.Add(node["role"] is JsonValue r && r.TryGetValue<string>(out var role) ? role : "");
            trained.Add(IsTrained(node["weight"]));
        }
        var globals = MakeGlobals(messages, input.Tools is null ? null : PyJson.FromNode(input.Tools), input.Tools is not null, input.AddGenerationPrompt, input.BosToken, input.EosToken, input.Variables);
        var top = new Scope(globals);
        var sink = new Renderer(_info, input.Limits, input.StrftimeNow, output: output).Render(_body, top);
        return (sink.Text.ToString(), sink, roles, trained);
    }

    /// <summary>A render's globals: the messages (dicts), the tools when given, the flag, the special tokens and the extra variables.</summary>
    private static Scope MakeGlobals(List<object?> messages, object? tools, bool hasTools, bool addGenerationPrompt, string bos, string eos, IReadOnlyDictionary<string, JsonNode?>? variables)
    {
        var globals = new Scope(Globals.Builtins);
        globals.Set("messages", new PyList(messages));
        if (hasTools) globals.Set("tools", tools);
        globals.Set("add_generation_prompt", addGenerationPrompt);
        globals.Set("bos_token", bos);
        globals.Set("eos_token", eos);
        if (variables is not null)
            foreach (var (k, v) in variables) globals.Set(k, PyJson.FromNode(v));
        return globals;
    }

    private static bool IsTrained(JsonNode? weight)
    {
        if (weight is not JsonValue v) return true;
        if (v.TryGetValue<bool>(out var b)) return b;
        if (v.TryGetValue<double>(out var d)) return d != 0;
        if (v.TryGetValue<long>(out var l)) return l != 0;
        if (v.TryGetValue<int>(out var n)) return n != 0;
        return true;
    }
}

/// <summary>The global functions of the sandbox.</summary>
internal static class Globals
{
    /// <summary>
    /// The built-in functions, in a scope every render's globals sit on (shared: nothing sets a variable in a parent
    /// scope, and the functions keep no state).
    /// </summary>
    public static Scope Builtins { get; } = Create();

    private static Scope Create()
    {
        var g = new Scope(null);
        g.Set("range", new BuiltinFunction("range", Range));
        g.Set("namespace", new BuiltinFunction("namespace", (_, args, kw) =>
        {
            var ns = new Namespace();
            foreach (var a in args)
            {
                if (a is not PyDict d) throw new TemplateError("TypeError: namespace() takes only keyword arguments or a dict");
                foreach (var p in d.Pairs) ns.Attrs[Py.StrOf(PyDict.DenormKey(p.Key))] = p.Value;
            }
            foreach (var (k, v) in kw) ns.Attrs[k] = v;
            return ns;
        }));
        g.Set("dict", new BuiltinFunction("dict", (_, args, kw) =>
        {
            var d = new PyDict();
            foreach (var a in args)
                if (a is PyDict src) foreach (var p in src.Pairs) d.Set(PyDict.DenormKey(p.Key), p.Value);
            foreach (var (k, v) in kw) d.Set(k, v);
            return d;
        }));
        g.Set("raise_exception", new BuiltinFunction("raise_exception", (_, args, _) =>
            throw new TemplateError("template raised an error: " + (args.Count > 0 ? Py.StrOf(args[0]) : "(no message)"), raised: true)));
        g.Set("strftime_now", new BuiltinFunction("strftime_now", (ctx, args, _) =>
            ctx.StrftimeNow ?? Strftime(DateTime.UtcNow, args.Count > 0 ? Py.StrOf(args[0]) : "%Y-%m-%d")));
        return g;
    }

    private static object Range(RenderContext ctx, List<object?> args, Dictionary<string, object?> kw)
    {
        if (args.Count is 0 or > 3) throw new TemplateError("TypeError: range expected 1 to 3 integer arguments");
        long start = 0, stop, step = 1;
        if (args.Count == 1) stop = Py.ToLong(args[0]);
        else
        {
            start = Py.ToLong(args[0]);
            stop = Py.ToLong(args[1]);
            if (args.Count == 3) step = Py.ToLong(args[2]);
        }
        if (step == 0) throw new TemplateError("ValueError: range() arg 3 must not be zero");
        var items = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            ctx.Tick();
            items.Add(i);
        }
        return new PyList(items);
    }

    /// <summary>A strftime subset (%d %m %Y %y %b %B %a %A %H %M %S %j %%).</summary>
    internal static string Strftime(DateTime t, string fmt)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        for (var i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length) { sb.Append(fmt[i]); continue; }
            var c = fmt[++i];
            sb.Append(c switch
            {
                'd' => t.ToString("dd", inv),
                'm' => t.ToString("MM", inv),
                'Y' => t.ToString("yyyy", inv),
                'y' => t.ToString("yy", inv),
                'b' => t.ToString("MMM", inv),
                'B' => t.ToString("MMMM", inv),
                'a' => t.ToString("ddd", inv),
                'A' => t.ToString("dddd", inv),
                'H' => t.ToString("HH", inv),
                'M' => t.ToString("mm", inv),
                'S' => t.ToString("ss", inv),
                'j' => t.DayOfYear.ToString("000", inv),
                '%' => "%",
                _ => "%" + c,
            });
        }
        return sb.ToString();
    }
}
