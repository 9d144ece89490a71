using System.Text.Json;
using Hone.Evals.Specs;
using Hone.Testing;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Tests.Runs;

/// <summary>
/// Acceptance: a golden set built from the cookbook's drone_training.jsonl, run through the eval runner, with the
/// tool-call grader scoring a scripted provider whose right and wrong calls the test states.
/// </summary>
public class DroneGoldenSetTests
{
    private static readonly string Drone = TestAssets.Path("datasets", "openai-cookbook", "drone_training.jsonl");

    [Fact]
    public async Task The_tool_call_grader_scores_a_scripted_providers_known_right_and_wrong_calls()
    {
        // The test's own reading of the file: user request → the expected call, and which rows get a wrong answer.
        var rows = File.ReadLines(Drone).Select((line, i) => (Line: i + 1, Doc: JsonDocument.Parse(line).RootElement)).ToList();
        var expected = rows.ToDictionary(
            r => r.Doc.GetProperty("messages")[1].GetProperty("content").GetString()!,
            r => (r.Line, Call: r.Doc.GetProperty("messages")[2].GetProperty("tool_calls")[0].GetProperty("function")));
        Assert.Equal(rows.Count, expected.Count); // every request is distinct, so the script can look it up

        var spec = """
            name: drone
            golden_set: DRONE
            model: fake:m
            graders:
              - type: tool_call_match
                name: call
                reference: "{{item.messages[2].tool_calls}}"
            concurrency: 4
            """.Replace("DRONE", Drone, StringComparison.Ordinal);
        using var f = new EvalFixture(spec);
        var client = new CountingChatClient((messages, options, _, _) =>
        {
            Assert.NotNull(options?.Tools);                      // the golden set's tools reach the provider
            var (line, call) = expected[messages[^1].Text];
            var args = JsonSerializer.Deserialize<Dictionary<string, object?>>(call.GetProperty("arguments").GetString()!)!;
            var name = call.GetProperty("name").GetString()!;
            if (line % 2 == 0) name = name == "reject_request" ? "land_drone" : "reject_request"; // wrong on even lines
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c" + line, name, args)])));
        });

        var result = await f.Runner.RunAsync(f.Options(), client);

        Assert.Equal(rows.Count, result.Results.Count);
        foreach (var r in result.Results)
        {
            var line = int.Parse(r.CaseId["line-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(line % 2 == 1, r.Pass);
        }
        Assert.Equal(rows.Count(r => r.Line % 2 == 1), result.Results.Count(r => r.Pass));
    }
}
