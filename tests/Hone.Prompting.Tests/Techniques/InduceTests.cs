using Hone.Prompting.Files;
using Hone.Prompting.Guards;
using Hone.Prompting.Techniques;
using Hone.Prompting.Tests.Fakes;

namespace Hone.Prompting.Tests.Techniques;

public class InduceTests
{
    [Fact]
    public async Task Writes_a_system_prompt_from_conversations_and_validates_it_on_held_out_cases()
    {
        using var f = new TechniqueFixture(0, golden: RuleTask.Golden(24, RuleTask.Kinds));
        var start = PromptFileReader.Load(f.Files.Write("start.yaml", RuleTask.StartPrompt));
        // Conversations: one per kind with an unseen word, plus one that repeats golden case c02 (it must not be shown).
        var convs = RuleTask.Kinds.Select(k => $$"""{"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "{{k}}: kiwifruit"}, {"role": "assistant", "content": "{{RuleTask.Answer(k, "kiwifruit")}}"}]}""")
            .Append("""{"messages": [{"role": "user", "content": "beta: cherry"}, {"role": "assistant", "content": "cehrry"}]}""");
        var path = f.Files.Write("conv.jsonl", string.Join("\n", convs));
        // The meta-model states the rule of each kind it sees an example of.
        var meta = new ScriptedChatClient(m =>
        {
            var text = ScriptedChatClient.LastUser(m);
            var kinds = RuleTask.Kinds.Where(k => text.Contains($"[user] {k}:", StringComparison.Ordinal));
            return RuleTask.Reply("Transform the word as its kind requires.\n" + string.Join("\n", kinds.Select(k => $"RULE {k}: {RuleTask.Op(k)}")));
        }, "meta");
        using var ev = f.Evaluator(RuleTask.Model());
        var r = await Induce.RunAsync(new InduceRequest(path, start, f.Cases), ev, ev.Wrap(meta));
        Assert.Equal((5, 1, 4), (r.Conversations, r.LeakingExcluded, r.Shown));
        Assert.DoesNotContain("cherry", ScriptedChatClient.LastUser(meta.Requests[0].Messages), StringComparison.Ordinal);
        Assert.Equal("better", r.Verdict);
        Assert.Equal(1.0, r.Validation!.AccuracyB);
        Assert.Equal("{{ kind }}: {{ word }}", r.Induced!.User!.Source);   // the starting user template is kept
        Assert.Contains("RULE gamma", r.InducedYaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proposal_that_copies_golden_answers_is_rejected_and_bad_conversations_name_their_line()
    {
        using var f = new TechniqueFixture(0, golden: RuleTask.Golden(8, RuleTask.Kinds));
        var start = PromptFileReader.Load(f.Files.Write("start.yaml", RuleTask.StartPrompt));
        var path = f.Files.Write("conv.jsonl", """{"messages": [{"role": "user", "content": "alpha: kiwifruit"}, {"role": "assistant", "content": "tiurfiwik"}]}""");
        var answer = f.Cases[0].Item.GetProperty("answer").GetString();
        using var ev = f.Evaluator(RuleTask.Model());
        var r = await Induce.RunAsync(new InduceRequest(path, start, f.Cases), ev, ev.Wrap(new ScriptedChatClient(_ => RuleTask.Reply($"Answers: {answer}"), "meta")));
        Assert.Equal("rejected", r.Verdict);
        Assert.Equal(RejectReason.GoldenAnswerCopied, r.Rejected!.Reason);
        var bad = f.Files.Write("bad.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{oops\n");
        Assert.StartsWith($"{bad}:1:", Assert.Throws<InvalidDataException>(() => Induce.Read(bad)).Message, StringComparison.Ordinal);
    }
}
