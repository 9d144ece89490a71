using Hone.Prompting.Files;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hone.Prompting.Guards;

/// <summary>Writes a prompt file with new system and user templates, every other section kept as the original has it.</summary>
public static class PromptFileWriter
{
    /// <summary>
    /// The YAML of <paramref name="original"/> with <paramref name="system"/> and <paramref name="user"/> in place of its
    /// templates (null removes a template), under a comment header.
    /// </summary>
    public static string Yaml(PromptFile original, string? system, string? user, string name, string? header = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        if (original.IsChain) throw new PromptFileException(original.SourcePath, 0, "only a single prompt can be rewritten; give one step's prompt file.");
        var map = new YamlMappingNode();
        if (original.SourcePath.Length > 0 && File.Exists(original.SourcePath))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(original.SourcePath)));
            if (stream.Documents[0].RootNode is YamlMappingNode m) map = m;
        }
        var result = new YamlMappingNode { { "name", new YamlScalarNode(name) { Style = ScalarStyle.DoubleQuoted } } };
        if (system is not null) result.Add("system", Literal(system));
        if (user is not null) result.Add("user", Literal(user));
        foreach (var (k, v) in map.Children)
            if ((k as YamlScalarNode)?.Value is not ("name" or "system" or "user")) result.Add(k, v);
        var doc = new YamlStream(new YamlDocument(result));
        using var w = new StringWriter();
        doc.Save(w, assignAnchors: false);
        var text = w.ToString().TrimEnd().TrimEnd('.').TrimEnd() + "\n";
        return (header is null ? "" : string.Join("\n", header.Split('\n').Select(l => "# " + l)) + "\n") + text;
    }

    /// <summary>The candidate prompt of <see cref="Yaml"/>, parsed as a file at the original's path would be.</summary>
    public static PromptFile WithTemplates(PromptFile original, string? system, string? user, string name)
    {
        ArgumentNullException.ThrowIfNull(original);
        var path = original.SourcePath.Length > 0 ? original.SourcePath : Path.GetFullPath(name + ".yaml");
        return PromptFileReader.Parse(Yaml(original, system, user, name), path);
    }

    private static YamlScalarNode Literal(string text)
    {
        // A literal block keeps line breaks; text with trailing spaces or leading blank lines needs quoting instead.
        bool literalSafe = !text.Split('\n').Any(l => l.EndsWith(' ') || l.EndsWith('\t')) && !text.StartsWith('\n') && !text.StartsWith(' ') && !text.Contains('\r', StringComparison.Ordinal);
        return new YamlScalarNode(text) { Style = literalSafe && text.Contains('\n', StringComparison.Ordinal) ? ScalarStyle.Literal : ScalarStyle.DoubleQuoted };
    }
}
