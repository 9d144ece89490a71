using Hone.Prompting.Files;
using Hone.Prompting.Guards;

namespace Hone.Prompting.Tests.Guards;

public class ProposalGuardTests
{
    private static readonly GoldenFacts Facts = new(new HashSet<string> { "id", "question", "answer", "context" },
        ["Paris is the capital", "42", "A"], ["What is the capital city of France? Answer in one short sentence."]);

    private static PromptFile Original()
    {
        var t = new TestFiles();
        return PromptFileReader.Load(t.Write("p.yaml", "system: Answer briefly.\nuser: \"Q: {{ question }}\"\nsampling: {max_tokens: 20}\n"));
    }

    private static Proposal P(string? system, string? user = null, bool complete = true, string? finish = "stop") => new("why", system, user, complete, finish);

    [Theory]
    [InlineData("Answer briefly and exactly.", null, true, "stop", null)]
    [InlineData("Answer briefly.", null, true, "length", RejectReason.Truncated)]
    [InlineData("Answer briefly.\nMore", null, false, "stop", RejectReason.Truncated)]
    [InlineData("Answer {{ question", null, true, "stop", RejectReason.TemplateError)]
    [InlineData("Answer.", "Just answer.", true, "stop", RejectReason.DroppedVariable)]
    [InlineData("Use {{ hint }}.", null, true, "stop", RejectReason.InventedVariable)]
    [InlineData("Use {{ context }}.", null, true, "stop", null)]
    [InlineData("Example: PARIS is the capital.", null, true, "stop", RejectReason.GoldenAnswerCopied)]
    [InlineData("Like: what is the capital city of france? answer in one short sentence.", null, true, "stop", RejectReason.GoldenAnswerCopied)]
    [InlineData("Answer briefly.", null, true, "stop", RejectReason.Unchanged)]
    public void Each_guard_holds_its_rule(string system, string? user, bool complete, string finish, RejectReason? expected)
    {
        var v = ProposalGuard.Check(Original(), P(system, user, complete, finish), Facts, "cand");
        Assert.Equal(expected, v.Reason);
        if (expected is null)
        {
            Assert.Equal(system, v.Accepted!.System!.Source);
            Assert.Equal("Q: {{ question }}", v.Accepted.User!.Source);   // the user template is kept
            Assert.Equal(20, v.Accepted.Sampling.MaxTokens);             // and every other section
        }
    }

    [Fact]
    public void A_runaway_proposal_is_rejected_and_short_answers_never_count_as_copies()
    {
        Assert.Equal(RejectReason.RunawayLength, ProposalGuard.Check(Original(), P(new string('x', 2_100)), Facts, "c").Reason);
        Assert.Null(ProposalGuard.Check(Original(), P("Answer with A, B or 42 words."), Facts, "c").Reason);
    }

    [Fact]
    public void Replies_are_parsed_and_a_cut_reply_is_incomplete()
    {
        var p = Proposal.Parse("<explanation>too vague</explanation>\n<prompt>\n<system>\nBe exact.\n</system>\n</prompt>", "stop");
        Assert.Equal(("too vague", "Be exact.", (string?)null, true), (p.Explanation, p.System, p.User, p.Complete));
        Assert.False(Proposal.Parse("<prompt>\n<system>\nBe ex", "length").Complete);
    }
}
