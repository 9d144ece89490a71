using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hone.App;
using Hone.App.Teach;
using Hone.Evals.Compare;
using Hone.Server;
using Hone.Testing;

namespace Hone.Cli.Tests;

/// <summary>
/// <c>hone teach RUN</c>: the use cases (cases, diff, save with provenance) and the command driven through a
/// pseudo-terminal (<c>/usr/bin/script</c>) with scripted answers on standard input and $EDITOR a shell script that
/// rewrites the file. The run comes from <c>hone eval</c> against the scripted arithmetic model of <see cref="CompareEdgeTests"/>.
/// </summary>
public sealed class TeachCommandTests : IAsyncLifetime
{
    private const string BadAnswer = "<script>alert(1)</script>";
    private readonly CompareEdgeTests.ArithmeticClient _client = new();
    private HoneServer _server = null!;

    public async Task InitializeAsync() => _server = await HoneServer.StartAsync(_client, new ServerOptions { Port = 0 }, "arith");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string FailingRun(out string dir)
    {
        dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        File.WriteAllText(Path.Combine(dir, "hone.yaml"), $"task: arith\nproviders:\n  served:\n    base_url: {new Uri(_server.BaseAddress, "v1")}\n");
        var cases = new[] { ("p1", "1+1", "2"), ("m2", "2*3", "6"), ("m3", "3*3", "9"), ("m4", "4*3", "12") };
        File.WriteAllLines(Path.Combine(dir, "evals", "golden.jsonl"),
            cases.Select(c => JsonSerializer.Serialize(new { id = c.Item1, question = c.Item2, answer = c.Item3 })));
        File.WriteAllText(Path.Combine(dir, "evals", "arith.yaml"), """
            golden_set: golden.jsonl
            prompt:
              template: "{{item.question}}"
            model: served:arith
            reference: "{{item.answer}}"
            graders:
              - type: string_check
                name: exact
                input: "{{sample.output_text}}"
                reference: "{{item.answer}}"
                operation: eq
            """);
        _client.MultiplyRight = false;
        var r = CliRunner.Run(dir, "eval", "arith", "--json", "--no-cache", "--fresh");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Json.GetProperty("runs")[0].GetProperty("run_id").GetString()!;
    }

    [Fact]
    public void Use_cases_list_failing_cases_diff_and_save_with_provenance()
    {
        var run = FailingRun(out var dir);
        var cases = TeachUseCases.Cases(new TeachRequest(dir, run));
        Assert.Equal(["m2", "m3", "m4"], cases.Cases.Select(c => c.CaseId));
        Assert.Equal(4, TeachUseCases.Cases(new TeachRequest(dir, run, All: true)).Cases.Count);
        var m2 = cases.Cases[0];
        Assert.Equal((BadAnswer, "6"), (m2.Output, m2.Reference));
        Assert.Equal("2*3", m2.Messages[^1]["content"]!.GetValue<string>());

        var diff = TeachUseCases.Diff("the answer is 5", "the answer is 6");
        Assert.Equal([new DiffSegment(DiffKind.Same, "the answer is "), new DiffSegment(DiffKind.Removed, "5"), new DiffSegment(DiffKind.Added, "6")], diff);

        var when = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var lines = TeachUseCases.Save(cases.Folder, cases.RunId, m2, "6", "html instead of a number", when);
        var sft = JsonDocument.Parse(Assert.Single(File.ReadAllLines(lines.SftPath))).RootElement;
        Assert.Equal("6", sft.GetProperty("messages")[1].GetProperty("content").GetString());
        var meta = sft.GetProperty("metadata");
        Assert.Equal((run, "m2", "html instead of a number", "2026-01-02T03:04:05.0000000Z"), (meta.GetProperty("run_id").GetString(), meta.GetProperty("case_id").GetString(),
            meta.GetProperty("reason").GetString(), meta.GetProperty("time").GetString()));
        var dpo = JsonDocument.Parse(Assert.Single(File.ReadAllLines(lines.DpoPath))).RootElement;
        Assert.Equal(BadAnswer, dpo.GetProperty("non_preferred_output")[0].GetProperty("content").GetString());
        Assert.Equal("6", dpo.GetProperty("preferred_output")[0].GetProperty("content").GetString());
        Assert.Equal("m2", dpo.GetProperty("metadata").GetProperty("case_id").GetString());
        // An edit equal to the model's answer teaches nothing: refused, nothing appended.
        Assert.Throws<UseCaseException>(() => TeachUseCases.Save(cases.Folder, cases.RunId, m2, BadAnswer, null, when));
        Assert.Single(File.ReadAllLines(lines.SftPath));

        // The next session goes on where this one stopped: the saved case is left out (by run, case and repeat).
        var next = TeachUseCases.Cases(new TeachRequest(dir, run));
        Assert.Equal(["m3", "m4"], next.Cases.Select(c => c.CaseId));
        Assert.Equal(1, next.AlreadyTaught);
        var all = TeachUseCases.Cases(new TeachRequest(dir, run, All: true));
        Assert.Equal((3, 1), (all.Cases.Count, all.AlreadyTaught));
    }

    /// <summary>Starts <c>hone teach RUN</c> in a pseudo-terminal with EDITOR set; standard input stays open for the caller.</summary>
    private static Process StartTeach(string dir, string run, string editor)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "Hone.Cli.dll");
        var psi = new ProcessStartInfo("/usr/bin/script") { WorkingDirectory = dir, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-q", "-e", "-c", $"dotnet \"{cli}\" teach {run}", "/dev/null" }) psi.ArgumentList.Add(a);
        psi.Environment["EDITOR"] = editor;
        psi.Environment.Remove("VISUAL");
        return Process.Start(psi)!;
    }

    [Fact]
    public async Task A_teach_session_killed_after_a_save_resumes_at_the_next_case()
    {
        if (!OperatingSystem.IsLinux()) return; // /usr/bin/script and a shell editor: Linux only
        var run = FailingRun(out var dir);
        var editor = Path.Combine(dir, "editor.sh");
        File.WriteAllText(editor, "#!/bin/sh\nprintf '6\\n' > \"$1\"\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // m2 edited and saved; then, while it waits for the answer on m3, the process is killed.
        using (var first = StartTeach(dir, run, editor))
        {
            await first.StandardInput.WriteAsync("e\n\ny\n");
            await first.StandardInput.FlushAsync();
            var seen = new System.Text.StringBuilder();
            var buffer = new char[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!seen.ToString().Contains("case m3", StringComparison.Ordinal))
            {
                int n = await first.StandardOutput.ReadAsync(buffer.AsMemory(), timeout.Token);
                Assert.True(n > 0, "teach ended before reaching m3: " + seen);
                seen.Append(buffer, 0, n);
            }
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "data", "teach-sft.jsonl")));

        // Again: m2 is not shown again; m3 and m4 are.
        using var second = StartTeach(dir, run, editor);
        await second.StandardInput.WriteAsync("q\n");
        second.StandardInput.Close();
        var stdout = System.Text.RegularExpressions.Regex.Replace(await second.StandardOutput.ReadToEndAsync(), @"\s+", " "); // the terminal wraps lines
        Assert.True(second.WaitForExit(60_000));
        Assert.True(second.ExitCode == 0, stdout);
        Assert.Contains("2 cases to teach from (1 already taught in an earlier session, skipped)", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("case m2", stdout, StringComparison.Ordinal);
        Assert.Contains("case m3", stdout, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "data", "teach-sft.jsonl")));
    }

    [Fact]
    public async Task Teach_walks_the_failures_in_a_pseudo_terminal_and_saves_the_edit()
    {
        var run = FailingRun(out var dir);
        var editor = Path.Combine(dir, "editor.sh");
        File.WriteAllText(editor, "#!/bin/sh\nprintf 'the answer is 6\\n' > \"$1\"\n");
        if (!OperatingSystem.IsLinux()) return; // /usr/bin/script and a shell editor: Linux only
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // m2: edit, reason, save; m3: accept; m4: edit then decline to save.
        var answers = Path.Combine(dir, "answers.txt");
        File.WriteAllText(answers, "e\nhtml instead of a number\ny\na\ne\n\nn\n");
        var cli = Path.Combine(AppContext.BaseDirectory, "Hone.Cli.dll");
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"/usr/bin/script -q -e -c 'dotnet \"{cli}\" teach {run}' /dev/null < \"{answers}\"");
        psi.Environment["EDITOR"] = editor;
        psi.Environment.Remove("VISUAL");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = await p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000));
        Assert.True(p.ExitCode == 0, stdout + await stderr);
        Assert.Contains("case m2", stdout, StringComparison.Ordinal);
        Assert.Contains("reference:", stdout, StringComparison.Ordinal);
        Assert.Contains("{+the answer is 6+}", stdout, StringComparison.Ordinal); // the word diff before saving
        Assert.Contains("1 edits saved, 1 accepted, 0 rejected of 3 cases seen", stdout, StringComparison.Ordinal);
        var sft = File.ReadAllLines(Path.Combine(dir, "data", "teach-sft.jsonl"));
        var line = JsonDocument.Parse(Assert.Single(sft)).RootElement;
        Assert.Equal("the answer is 6", line.GetProperty("messages")[1].GetProperty("content").GetString());
        Assert.Equal(("m2", "html instead of a number"), (line.GetProperty("metadata").GetProperty("case_id").GetString(), line.GetProperty("metadata").GetProperty("reason").GetString()));
        Assert.Single(File.ReadAllLines(Path.Combine(dir, "data", "teach-dpo.jsonl")));
    }

    [Fact]
    public async Task Teach_json_is_one_document_of_the_session()
    {
        var run = FailingRun(out var dir);
        if (!OperatingSystem.IsLinux()) return; // /usr/bin/script: Linux only
        var cli = Path.Combine(AppContext.BaseDirectory, "Hone.Cli.dll");
        var answers = Path.Combine(dir, "answers.txt");
        File.WriteAllText(answers, "r\nq\n"); // reject m2, quit at m3
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"/usr/bin/script -q -e -c 'dotnet \"{cli}\" teach {run} --json' /dev/null < \"{answers}\"");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = await p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000));
        Assert.True(p.ExitCode == 0, stdout + await stderr);
        var json = JsonDocument.Parse(stdout[stdout.IndexOf('{', StringComparison.Ordinal)..(stdout.LastIndexOf('}') + 1)]).RootElement;
        Assert.Equal((run, 3, 2, 1, 0), (json.GetProperty("run_id").GetString(), json.GetProperty("cases").GetInt32(), json.GetProperty("seen").GetInt32(),
            json.GetProperty("rejected").GetInt32(), json.GetProperty("saved").GetArrayLength()));
        Assert.DoesNotContain("case m2", stdout, StringComparison.Ordinal); // the human report is not printed with --json
    }

    [Fact]
    public void Teach_help_and_unknown_run()
    {
        var help = CliRunner.Run(TestAssets.NewTempDir(), "teach", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--all", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("Exit codes: 0", help.Stdout, StringComparison.Ordinal);
        var dir = TestAssets.NewTempDir();
        Assert.Equal(0, CliRunner.Run(dir, "init").ExitCode);
        Assert.Equal(2, CliRunner.Run(dir, "teach", "nope").ExitCode);
    }
}
