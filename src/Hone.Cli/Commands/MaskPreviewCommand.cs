using System.CommandLine;
using System.Text.Json;
using Hone.Data.Model;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone data mask-preview FILE --model DIR</c>: shows which tokens of an example SFT will train on.</summary>
public static class MaskPreviewCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var file = new Argument<string>("FILE") { Description = "Chat SFT JSONL file." };
        var local = ModelCliOptions.Local(); // the model whose tokenizer and chat template render the example
        var example = new Option<int>("--example") { Description = "Which example (1-based line number).", DefaultValueFactory = _ => 1 };
        var cmd = new Command("mask-preview", "Render one example with the model's chat template and show the trained tokens (the loss mask) before training.")
        {
            file, example,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx) =>
        {
            var path = ctx.ResolvePath(p.GetValue(file)!);
            var n = p.GetValue(example);
            if (n < 1) throw new CliUsageException("--example is a 1-based line number.");
            var line = File.ReadLines(path).Skip(n - 1).FirstOrDefault()
                ?? throw new CliUsageException($"{path} has fewer than {n} lines.");
            var chat = OpenAiJson.ParseChat(line, path, n);
            var nodes = chat.Messages.Select(m => JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!).ToList();
            var tools = chat.Tools is { Count: > 0 } ? JsonSerializer.SerializeToNode(chat.Tools, OpenAiJson.Options) : null;
            var encoder = local.Get(p, ctx)!.LoadEncoder();
            var enc = encoder.Encode(nodes, tools);
            var trained = enc.TrainedCount;
            ctx.WriteJson(new
            {
                file = path,
                example = n,
                template = encoder.TemplateSource,
                text = enc.Text,
                tokens = enc.Ids.Select((id, i) => new { id, text = enc.Text[enc.Offsets[i].Start..enc.Offsets[i].End], trained = enc.Trained[i] }),
                trained_tokens = trained,
                masked_tokens = enc.Ids.Length - trained,
            });
            var trainedChars = new bool[enc.Text.Length];
            for (var i = 0; i < enc.Ids.Length; i++)
                if (enc.Trained[i]) Array.Fill(trainedChars, true, enc.Offsets[i].Start, enc.Offsets[i].End - enc.Offsets[i].Start);
            var colour = ctx.Console.Profile.Capabilities.ColorSystem != ColorSystem.NoColors;
            var legend = colour ? "[black on green]trained[/], [grey]masked[/]"
                : Markup.Escape($"{MaskPreviewLayout.Open}trained{MaskPreviewLayout.Close}, the rest masked");
            ctx.Console.MarkupLine($"[bold]{Markup.Escape(Path.GetFileName(path))}[/] example {n}, template {Markup.Escape(encoder.TemplateSource)}");
            ctx.Console.MarkupLine("legend: " + legend);
            foreach (var row in MaskPreviewLayout.Lines(enc.Text, trainedChars, ctx.Console.Profile.Width, colour))
            {
                if (colour) ctx.Console.MarkupLine(row);
                else ctx.Console.WriteLine(row);
            }
            ctx.Console.MarkupLine($"{trained} trained tokens, {enc.Ids.Length - trained} masked ({enc.Ids.Length} in all)");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
