using System.CommandLine;
using System.Globalization;
using Hone.App.Migrate;
using Hone.Migrate.Plan;
using Hone.Migrate.Report;
using Hone.Migrate.Run;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone migrate plan|run|report</c>: parse, call the Hone.App.Migrate use case, print.</summary>
internal static class MigrateStepCommands
{
    internal static Command Plan(CliHost host)
    {
        var dir = MigrateCommands.DirOption();
        var candidates = new Option<string[]>("--candidates") { Description = "Folders of local base models (a model folder or a folder of them; default: the workspace's models/).", AllowMultipleArgumentsPerToken = true };
        var heldOut = new Option<double>("--held-out") { Description = "Share of the cases held out (never trained on).", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Seed of the split.", DefaultValueFactory = _ => 1 };
        var judge = new Option<string?>("--judge") { Description = "A judge model (provider:model or local:DIR) for a model grader on free text." };
        var graders = new Option<string?>("--graders") { Description = "Your own graders (a Hone YAML list) instead of the chosen ones." };
        var target = new Option<double>("--target") { Description = "Held-out agreement to reach.", DefaultValueFactory = _ => 0.9 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs per round (for the estimate and the run).", DefaultValueFactory = _ => 8 };
        var cmd = new Command("plan", "Propose the run from the capture: local base-model candidates (size, context, chat template, licence), the held-out split, graders chosen from the data, the estimate on this machine. Exit 1 when no candidate is usable.")
        {
            dir, candidates, heldOut, seed, judge, graders, target, epochs,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var plan = MigratePlan.Run(new MigratePlanRequest(MigrateCommands.Place(ctx, p, dir), new PlanOptions
            {
                Candidates = [.. (p.GetValue(candidates) ?? []).Select(ctx.ResolvePath)], HeldOut = p.GetValue(heldOut), Seed = p.GetValue(seed), Judge = p.GetValue(judge),
                GradersFile = p.GetValue(graders) is { } g ? ctx.ResolvePath(g) : null, Target = p.GetValue(target), Epochs = p.GetValue(epochs),
            }));
            var table = new Table().AddColumns("candidate", "parameters", "context", "chat template", "licence", "usable");
            foreach (var m in plan.Candidates)
                table.AddRow(Markup.Escape(m.Name), m.Parameters.ToString("N0", CultureInfo.InvariantCulture), m.Context.ToString(CultureInfo.InvariantCulture),
                    Markup.Escape(m.ChatTemplate), Markup.Escape(m.Licence), m.Usable ? "yes" : Markup.Escape("no: " + m.Note));
            ctx.Console.Write(table);
            ctx.Console.MarkupLine($"split: {plan.Train} to train, {plan.HeldOut} held out; graders: {Markup.Escape(plan.Graders.Reason)}");
            var est = plan.Estimate;
            ctx.Console.MarkupLine($"estimate: {est.TrainTokens:N0} training tokens; " + (est.TrainSeconds is { } ts
                ? $"~{ts:0} s to train and ~{est.EvalSeconds:0} s per held-out pass on this machine ({est.MachineGflops:0.0} GFLOP/s measured)"
                : "no usable base model: give --candidates DIR"));
            ctx.WriteJson(plan.Json);
            return plan.Chosen is null ? ExitCodes.ProblemsFound : ExitCodes.Success;
        });
        return cmd;
    }

    internal static Command Run(CliHost host)
    {
        var dir = MigrateCommands.DirOption();
        var model = new Option<string?>("--model") { Description = "The open base model (default: the plan's choice)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = ModelCliOptions.TokenizerHelp };
        var template = new Option<string?>("--template") { Description = "Built-in chat template (chatml, llama3, llama2, plain) for a model without one." };
        var method = new Option<string>("--method") { Description = "full or lora.", DefaultValueFactory = _ => "full" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs per round (default: the plan's)." };
        var batch = new Option<int>("--batch-size") { Description = "Examples per optimiser step.", DefaultValueFactory = _ => 4 };
        var lr = new Option<double>("--lr-multiplier") { Description = "Learning rate = base (2e-5 full, 2e-4 LoRA) × this.", DefaultValueFactory = _ => 1 };
        var target = new Option<double?>("--target") { Description = "Held-out agreement to stop at (default: the plan's)." };
        var rounds = new Option<int>("--rounds") { Description = "Most rounds.", DefaultValueFactory = _ => 3 };
        var budget = new Option<double>("--budget-minutes") { Description = "No new round starts after this many minutes.", DefaultValueFactory = _ => 60 };
        var synth = new Option<int>("--synthesize") { Description = "New inputs the hosted model writes and answers per failing training case between rounds (0: none).", DefaultValueFactory = _ => 0 };
        var dpo = new Option<bool>("--dpo") { Description = "After SFT, DPO on pairs where the open model's answer lost to the hosted one." };
        var seed = new Option<int>("--seed") { Description = "Training seed.", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Engine threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var cmd = new Command("run", "Distil the capture into the open model with the loop: evaluate the base on the held-out cases, then train (SFT), evaluate, optionally DPO and synthesise, until the target agreement or the budget. Exit 1 when the target was not reached.")
        {
            dir, model, tokenizer, template, method, epochs, batch, lr, target, rounds, budget, synth, dpo, seed, threads,
        };
        host.SetHandler(cmd, async (p, ctx, ct) =>
        {
            var request = new MigrateRunArgs(MigrateCommands.Place(ctx, p, dir))
            {
                Model = p.GetValue(model) is { } m ? ctx.ResolvePath(m) : null, Tokenizer = p.GetValue(tokenizer) is { } t ? ctx.ResolvePath(t) : null,
                Template = p.GetValue(template), Method = p.GetValue(method)!, Epochs = p.GetValue(epochs), BatchSize = p.GetValue(batch), LrMultiplier = p.GetValue(lr),
                Target = p.GetValue(target), MaxRounds = p.GetValue(rounds), BudgetMinutes = p.GetValue(budget), Synthesize = p.GetValue(synth), Dpo = p.GetValue(dpo),
                Seed = p.GetValue(seed), Threads = p.GetValue(threads),
            }.ToRequest();
            var progress = new Progress<RunProgress>(r =>
            {
                if (!ctx.Json && r.Done == r.Total && r.Total > 0) ctx.Stderr.WriteLine($"round {r.Round}: {r.Phase} {r.Done}/{r.Total}");
            });
            var result = await MigrateRun.RunAsync(request, progress, ct).ConfigureAwait(false);
            ctx.Console.MarkupLine($"base model {Markup.Escape(result.BaseModel)}: held-out agreement {result.BaseAgreement:P0}");
            foreach (var r in result.Rounds)
                ctx.Console.MarkupLine($"round {r.Round}: {r.TrainExamples} examples ({r.Synthesized} synthesised, {r.DpoPairs} DPO pairs) → agreement {r.Agreement:P0}, {r.Seconds:0.0} s");
            ctx.Console.MarkupLine($"{(result.Reached ? "[green]target reached[/]" : "[yellow]target not reached[/]")} ({result.Target:P0}; stopped: {result.StopReason}); model → {Markup.Escape(result.Model)}");
            ctx.WriteJson(result);
            return result.Reached ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return cmd;
    }

    internal static Command Report(CliHost host)
    {
        var dir = MigrateCommands.DirOption();
        var machine = new Option<decimal>("--machine-usd-per-hour") { Description = "Price of an hour of this machine, for the cost after (default 0: no API bill).", DefaultValueFactory = _ => 0m };
        var cmd = new Command("report", "Write DIR/report.html (self-contained) and DIR/report.json: agreement with the hosted model per grader and per tag with intervals, fixed/regressed against the open base, cost per 1,000 requests before and after, latency on this machine, the cases that still differ side by side.")
        {
            dir, machine,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var response = MigrateReport.Run(new MigrateReportRequest(MigrateCommands.Place(ctx, p, dir), p.GetValue(machine)));
            var d = response.Figures;
            ctx.Console.MarkupLine($"agreement with {Markup.Escape(d.Source)} on {d.HeldOut} held-out cases: base {Markup.Escape(ReportHtml.P(d.BaseAgreement))} → tuned {Markup.Escape(ReportHtml.P(d.TunedAgreement))}");
            ctx.Console.MarkupLine($"fixed {d.Fixed}, regressed {d.Regressed}; cost per 1,000 requests: " + (d.Cost.HostedUsd is { } h ? $"${h:0.####}" : "hosted price unknown") +
                $" → ${d.Cost.LocalUsd:0.####} ({d.Cost.LocalComputeSeconds:0.#} s of this machine); tuned latency p50 {d.TunedLatency.P50Ms:0.#} ms");
            ctx.Console.MarkupLine($"report → {Markup.Escape(response.Report)}");
            ctx.WriteJson(response);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
