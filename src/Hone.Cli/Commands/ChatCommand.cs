using System.CommandLine;
using Hone.App.Models;

namespace Hone.Cli.Commands;

/// <summary><c>hone chat --model DIR</c>: an interactive chat on stdin/stdout through the model's chat template (<see cref="LocalChat"/>).</summary>
public static class ChatCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var local = ModelCliOptions.Local(adapter: true);
        var system = new Option<string?>("--system") { Description = "System message at the start of the conversation." };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => 0.7f };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per reply.", DefaultValueFactory = _ => 256 };
        var seed = new Option<long?>("--seed") { Description = "Seed of every turn's sampling." };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("chat", "Chat with a local model: one line per message on stdin; /reset clears the history, /exit quits.")
        {
            system, temperature, maxTokens, seed, threads,
        };
        local.AddTo(cmd);
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var request = new LocalChatRequest(local.Get(p, ctx)!, p.GetValue(system), p.GetValue(temperature), p.GetValue(maxTokens), p.GetValue(seed), p.GetValue(threads));
            var r = await LocalChat.RunAsync(request, Console.In, ctx.Json ? TextWriter.Null : ctx.Stdout, (model, template) =>
            {
                if (!ctx.Json) ctx.Stderr.WriteLine($"chatting with {model} ({template}); /reset clears the history, /exit quits.");
            }, ct).ConfigureAwait(false);
            ctx.WriteJson(r);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
