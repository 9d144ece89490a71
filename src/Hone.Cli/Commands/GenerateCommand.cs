using Hone.App.Models;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Hone.Models.Generation;
using Hone.Models.Llama;
using Hone.Numerics;
using Hone.Tokenizers;

namespace Hone.Cli.Commands;

/// <summary>The options of <c>hone generate</c>, validated once.</summary>
public sealed record GenerateOptions(string Model, string Prompt, float Temperature, float TopP, int TopK, ulong? Seed, int MaxTokens, string? Tokenizer, int Threads, string? Adapter = null)
{
    /// <summary>Checks ranges; the message names the option.</summary>
    public GenerateOptions Validate()
    {
        if (MaxTokens < 1) throw new CliUsageException($"--max-tokens {MaxTokens} must be ≥ 1.");
        if (Threads < 1) throw new CliUsageException($"--threads {Threads} must be ≥ 1.");
        try
        {
            Sampling.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException("--" + e.Message.Replace('_', '-'));
        }
        return this;
    }

    /// <summary>The sampling settings.</summary>
    public SamplingOptions Sampling => new() { Temperature = Temperature, TopP = TopP, TopK = TopK, Seed = Seed };
}

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
            var o = new GenerateOptions(m.Path, p.GetValue(prompt) ?? "", p.GetValue(temperature), p.GetValue(topP),
                p.GetValue(topK), p.GetValue(seed), p.GetValue(maxTokens), m.Tokenizer, p.GetValue(threads), m.Adapter).Validate();
            return Run(o, ctx);
        });
        return cmd;
    }

    private static int Run(GenerateOptions o, CliContext ctx)
    {
        // The model file first: a broken or empty model must be reported as such, not as a tokenizer problem.
        LlamaModel.Validate(o.Model);
        var model = new LocalModel(o.Model, o.Tokenizer, null, o.Adapter);
        ITokenizer tok = model.LoadTokenizer();
        using var llama = model.LoadModel();
        if (tok.VocabSize != llama.Config.VocabSize)
            ctx.Warn($"the tokenizer has {tok.VocabSize} tokens and the model {llama.Config.VocabSize}; is --tokenizer the model's own?");
        var ids = tok.Encode(o.Prompt, addBos: true);
        if (ids.Length == 0)
            throw new CliUsageException("the tokenizer has no BOS token, so an empty --prompt cannot start generation; give some prompt text.");
        using var pool = o.Threads > 1 ? new WorkerPool(o.Threads) : null;
        using var session = llama.CreateSession(pool: pool);
        var generator = new Generator(session, x => tok.Decode(x));
        var options = new GenerationOptions { Sampling = o.Sampling, MaxNewTokens = Math.Min(o.MaxTokens, session.MaxContext - ids.Length) };
        if (options.MaxNewTokens < 1)
            throw new CliUsageException($"the prompt has {ids.Length} tokens and fills the model's context of {session.MaxContext}; shorten --prompt.");
        var clock = Stopwatch.StartNew();
        var result = generator.Generate(ids, options);
        clock.Stop();
        var text = o.Prompt.Length == 0 ? (result.Text ?? "").TrimStart() : o.Prompt + result.Text;
        var seconds = clock.Elapsed.TotalSeconds;
        var rate = seconds > 0 ? result.TokenIds.Length / seconds : 0;
        ctx.WriteJson(new
        {
            model = o.Model,
            adapter = o.Adapter,
            prompt = o.Prompt,
            text,
            completion = result.Text,
            prompt_tokens = result.PromptIds.Length,
            completion_tokens = result.TokenIds.Length,
            finish_reason = result.Reason,
            seconds,
            tokens_per_second = rate,
        });
        if (!ctx.Json)
        {
            ctx.Stdout.WriteLine(text);
            ctx.Stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.TokenIds.Length} tokens in {seconds:F2} s ({rate:F1} tokens/s), {result.PromptIds.Length} prompt tokens, stop: {result.Reason}"));
        }
        return ExitCodes.Success;
    }
}
