using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hone.App.Models;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone model ...</c>.</summary>
public static class ModelCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var path = new Argument<string>("PATH") { Description = "A Hugging Face model folder, a GGUF file or a llama2.c checkpoint." };
        var inspect = new Command("inspect", "Architecture, parameter count by group, dtypes, context length, vocabulary, special tokens, chat template; then the checks a load makes (exit 2 when a load would fail).") { path };
        host.SetHandler(inspect, (p, ctx) =>
        {
            var inspected = InspectModel.Run(p.GetValue(path)!, ctx.WorkingDirectory);
            var (info, error) = (inspected.Info, inspected.LoadError);
            if (ctx.Json)
            {
                var json = JsonSerializer.SerializeToNode(info, CliContext.JsonOptions)!.AsObject();
                json["valid"] = error is null;
                if (error is not null)
                {
                    json["error"] = error;
                    json["exit_code"] = ExitCodes.UsageOrInput;
                }
                ctx.Stdout.WriteLine(json.ToJsonString(CliContext.JsonOptions));
            }
            var t = new Table().AddColumns("property", "value").HideHeaders();
            void Row(string k, object? v) => t.AddRow(k, Markup.Escape(v switch
            {
                null => "—",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => v.ToString() ?? "",
            }));
            Row("format", info.Format);
            Row("architecture", info.Architecture);
            Row("dim", info.Dim);
            Row("layers", info.Layers);
            Row("heads / kv heads", $"{info.Heads} / {info.KvHeads}");
            Row("head dim", info.HeadDim);
            Row("ffn dim", info.FfnDim);
            Row("vocabulary", info.VocabSize);
            Row("context length", info.ContextLength);
            Row("rope theta", info.RopeTheta);
            Row("tied embeddings", info.TiedEmbeddings);
            Row("parameters", info.ParameterCount.ToString("N0", CultureInfo.InvariantCulture));
            foreach (var (group, count) in info.ParametersByGroup) Row("  " + group, count.ToString("N0", CultureInfo.InvariantCulture));
            Row("dtypes", string.Join(", ", info.Dtypes));
            Row("special tokens", string.Join(", ", info.SpecialTokens.Select(s => $"{s.Role}={s.Text}" + (s.Id is { } id ? $" ({id})" : ""))));
            Row("chat template", info.HasChatTemplate ? "yes" : "no (choose a built-in one with --template)");
            ctx.Console.Write(t);
            if (error is null) return ExitCodes.Success;
            ctx.Stderr.WriteLine("error: " + error);
            return ExitCodes.UsageOrInput;
        });
        return new Command("model", "Local model files: inspect.") { inspect };
    }
}
