using System.CommandLine;
using Hone.App.Data;
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
            var r = MaskPreview.Run(new MaskPreviewRequest(ctx.ResolvePath(p.GetValue(file)!), p.GetValue(example), local.Get(p, ctx)!));
            ctx.WriteJson(r);
            var colour = ctx.Console.Profile.Capabilities.ColorSystem != ColorSystem.NoColors;
            var legend = colour ? "[black on green]trained[/], [grey]masked[/]"
                : Markup.Escape($"{MaskPreviewLayout.Open}trained{MaskPreviewLayout.Close}, the rest masked");
            ctx.Console.MarkupLine($"[bold]{Markup.Escape(Path.GetFileName(r.File))}[/] example {r.Example}, template {Markup.Escape(r.Template)}");
            ctx.Console.MarkupLine("legend: " + legend);
            foreach (var row in MaskPreviewLayout.Lines(r.Text, r.TrainedChars, ctx.Console.Profile.Width, colour))
            {
                if (colour) ctx.Console.MarkupLine(row);
                else ctx.Console.WriteLine(row);
            }
            ctx.Console.MarkupLine($"{r.TrainedTokens} trained tokens, {r.MaskedTokens} masked ({r.Tokens.Count} in all)");
            return ExitCodes.Success;
        });
        return cmd;
    }
}
