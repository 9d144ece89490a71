using System.Text.Json;

namespace Hone.Prompting.Files;

/// <summary>Reads one entry of <c>tools</c>: declared only, run as a command, or called over HTTP.</summary>
internal static class ToolReader
{
    public static PromptTool Read(YamlNodes t, string dir)
    {
        t.CheckKeys("name", "description", "parameters", "command", "http", "timeout_seconds");
        var name = t.Str("name") ?? throw t.Error("name", "is required.");
        if (!PromptFileReader.IsIdentifier(name.Replace('-', '_'))) throw t.Error("name", $"'{name}' must be letters, digits, '_' or '-'.");
        var parameters = t.Has("parameters") ? t.Json.GetProperty("parameters").Clone()
            : JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();
        if (parameters.ValueKind != JsonValueKind.Object) throw t.Error("parameters", "must be a JSON schema object.");
        var timeout = TimeSpan.FromSeconds(t.Num("timeout_seconds", 0.01, 600) ?? 30);
        if (t.Has("command") && t.Has("http")) throw t.Error("command", "give 'command' or 'http', not both.");
        if (t.Has("command"))
        {
            var argv = t.Strings("command");
            if (argv.Count == 0 || string.IsNullOrWhiteSpace(argv[0])) throw t.Error("command", "must be a program and its arguments, e.g. [python3, tools/lookup.py].");
            return new CommandTool(name, t.Str("description"), parameters, t.Line, argv, timeout, dir);
        }
        if (t.Has("http"))
        {
            var h = t.Map("http");
            h.CheckKeys("url", "method");
            var url = h.Str("url");
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw h.Error("url", $"'{url}' is not an http(s) URL.");
            var method = (h.Str("method") ?? "POST").ToUpperInvariant();
            if (method is not ("GET" or "POST")) throw h.Error("method", "must be GET or POST.");
            return new HttpTool(name, t.Str("description"), parameters, t.Line, uri, method, timeout);
        }
        if (t.Has("timeout_seconds")) throw t.Error("timeout_seconds", "applies to a tool that runs ('command' or 'http').");
        return new DeclaredTool(name, t.Str("description"), parameters, t.Line);
    }
}
