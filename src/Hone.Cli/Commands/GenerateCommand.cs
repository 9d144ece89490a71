using Hone.App.Models;
using System.CommandLine;
using System.Globalization;

namespace Hone.Cli.Commands;

/// <summary><c>hone generate --model DIR|FILE --prompt TEXT</c>: plain text generation from a local model.</summary>
public static class GenerateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var local = ModelCliOptions.Local(template: false, adapter: true);
        var prompt = new Option<string>("--prompt") { Description = "Prompt text; empty starts from BOS.", DefaultValueFactory = _ => "" };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (1 = off).", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Keep the k most likely tokens (0 = off).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong?>("--seed") { Description = "Seed: the same seed gives the same text." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most new tokens.", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("generate", "Generate text from a local model (greedy by default; prints tokens/s).")
        {
            prompt, temperature, topP, topK, seed, maxTokens, threads,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, (p, ctx) =>
        {
            var m = local.Get(p, ctx)!;
            var r = Generate.Run(new GenerateRequest(m.Path, p.GetValue(prompt) ?? "", p.GetValue(temperature), p.GetValue(topP),
                p.GetValue(topK), p.GetValue(seed), p.GetValue(maxTokens), m.Tokenizer, p.GetValue(threads), m.Adapter));
            foreach (var w in r.Warnings) ctx.Warn(w);
            ctx.WriteJson(r);
            if (!ctx.Json)
            {
                ctx.Stdout.WriteLine(r.Text);
                ctx.Stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.CompletionTokens} tokens in {r.Seconds:F2} s ({r.TokensPerSecond:F1} tokens/s), {r.PromptTokens} prompt tokens, stop: {r.FinishReason}"));
            }
            return ExitCodes.Success;
        });
        return cmd;
    }
}
