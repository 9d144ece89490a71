using System.CommandLine;
using System.Diagnostics;
using Hone.App.Teach;
using Hone.Evals.Compare;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary>
/// <c>hone teach RUN [--all]</c>: walks an eval run's failing (or all) cases in the terminal, showing input, output and
/// reference; per case: <c>a</c> accept the output (nothing written), <c>r</c> reject it (nothing written), <c>e</c>
/// edit it in $EDITOR (the word diff is shown, then <c>y</c> saves an SFT example and a DPO pair with provenance into
/// the data folder), <c>q</c> quit. Reads the answers from standard input. Exit 0, 2 for an unknown run.
/// </summary>
public static class TeachCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var run = new Argument<string>("RUN") { Description = "The eval run id (or a unique prefix)." };
        var all = new Option<bool>("--all") { Description = "Walk every case, not only the failing ones." };
        var cmd = new Command("teach", "Edit to teach: walk a run's failing cases; accept, reject, or edit an output in $EDITOR. " +
            "Each edit is appended (atomically, with provenance) as an SFT example to DATA/teach-sft.jsonl and a DPO pair to DATA/teach-dpo.jsonl; " +
            "a session started again leaves out the cases saved before.\n" +
            "Exit codes: 0 the session ended (all cases seen, or quit), 2 usage or input error (e.g. an unknown run), 3 internal error.")
        {
            run, all,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var cases = TeachUseCases.Cases(new TeachRequest(ctx.WorkingDirectory, p.GetValue(run)!, p.GetValue(all)));
            var c = ctx.Console;
            var input = Console.In;
            var saved = new List<TeachSaved>();
            int accepted = 0, rejected = 0, seen = 0;
            c.MarkupLine($"{Markup.Escape(cases.RunId)} ({Markup.Escape(cases.Spec)}): {cases.Cases.Count} cases to teach from" +
                (cases.AlreadyTaught > 0 ? $" ({cases.AlreadyTaught} already taught in an earlier session, skipped)" : ""));
            foreach (var k in cases.Cases)
            {
                seen++;
                c.MarkupLine($"\n[bold]case {Markup.Escape(k.CaseId)}[/] ({seen}/{cases.Cases.Count}, {(k.Pass ? "[green]pass[/]" : "[red]fail[/]")})" +
                    (k.Reason.Length > 0 ? $": {Markup.Escape(k.Reason)}" : ""));
                foreach (var m in k.Messages)
                    c.MarkupLine($"[grey]{Markup.Escape(m["role"]?.GetValue<string>() ?? "?")}:[/] {Markup.Escape(m["content"]?.GetValue<string>() ?? "")}");
                c.MarkupLine($"[grey]output:[/] {Markup.Escape(k.Output)}");
                c.MarkupLine($"[grey]reference:[/] {Markup.Escape(k.Reference ?? "(none)")}");
                var answer = Ask(c, input, "[a]ccept / [r]eject / [e]dit / [q]uit? ");
                if (answer is null or "q") break;
                if (answer == "a") { accepted++; continue; }
                if (answer != "e") { rejected++; continue; }
                var edited = Edit(k.Output);
                if (edited == k.Output || string.IsNullOrWhiteSpace(edited))
                {
                    c.MarkupLine("unchanged; nothing saved.");
                    continue;
                }
                c.MarkupLine("diff: " + DiffMarkup(TeachUseCases.Diff(k.Output, edited)));
                var reason = Ask(c, input, "reason (optional)? ", lower: false);
                if (Ask(c, input, "save? [y/n] ") != "y") { c.MarkupLine("not saved."); continue; }
                var lines = TeachUseCases.Save(cases.Folder, cases.RunId, k, edited, reason, DateTime.UtcNow);
                saved.Add(new TeachSaved(k.CaseId, lines.SftPath, lines.DpoPath));
                c.MarkupLine($"saved: SFT example → {Markup.Escape(lines.SftPath)}, DPO pair → {Markup.Escape(lines.DpoPath)}");
            }
            ctx.WriteJson(new TeachSession(cases.RunId, cases.Cases.Count, cases.AlreadyTaught, seen, accepted, rejected, saved));
            c.MarkupLine($"\n{saved.Count} edits saved, {accepted} accepted, {rejected} rejected of {seen} cases seen.");
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static string? Ask(IAnsiConsole c, TextReader input, string prompt, bool lower = true)
    {
        c.Markup(Markup.Escape(prompt));
        var line = input.ReadLine();
        c.WriteLine();
        if (line is null) return null;
        line = line.Trim();
        return lower ? line.ToLowerInvariant() : line;
    }

    /// <summary>Opens <paramref name="text"/> in $VISUAL or $EDITOR (default vi) and returns the saved text (one trailing newline dropped).</summary>
    private static string Edit(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), $"hone-teach-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, text + "\n");
        try
        {
            var editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } v ? v : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } e ? e : "vi";
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            foreach (var a in new[] { "-c", editor + " \"$1\"", "sh", file }) psi.ArgumentList.Add(a);
            using (var proc = Process.Start(psi) ?? throw new CliUsageException($"Cannot start the editor '{editor}'."))
            {
                proc.WaitForExit();
                if (proc.ExitCode != 0) throw new CliUsageException($"The editor '{editor}' exited with {proc.ExitCode}; nothing saved.");
            }
            var edited = File.ReadAllText(file);
            return edited.EndsWith('\n') ? edited[..^1] : edited;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string DiffMarkup(IReadOnlyList<DiffSegment> diff) => string.Concat(diff.Select(s => s.Kind switch
    {
        DiffKind.Removed => $"[red]{{-{Markup.Escape(s.Text)}-}}[/]",
        DiffKind.Added => $"[green]{{+{Markup.Escape(s.Text)}+}}[/]",
        _ => Markup.Escape(s.Text),
    }));
}
