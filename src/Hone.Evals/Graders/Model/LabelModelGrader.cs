using System.Text.Json;
using Hone.Evals.Templating;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Graders.Model;

/// <summary>
/// OpenAI's <c>label_model</c>: a judge model reads the rendered messages and answers
/// <c>{"result": "&lt;one of the labels&gt;", "reason": "..."}</c>. Score 1 when the label is one of
/// <see cref="PassingLabels"/>, else 0. Temperature 0, JSON-schema response format. A label outside
/// <see cref="Labels"/> (exact, case-sensitive) or a malformed reply is a parse error, never a pass.
/// </summary>
public sealed class LabelModelGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public LabelModelGrader(string name, IChatClient judge, string model, IReadOnlyList<JudgeMessage> messages,
        IReadOnlyList<string> labels, IReadOnlyList<string> passingLabels, int? seed = null, int? maxTokens = null)
    {
        ArgumentNullException.ThrowIfNull(judge);
        Name = name;
        Judge = judge;
        Model = model;
        Messages = messages;
        Labels = labels;
        PassingLabels = passingLabels;
        Seed = seed;
        MaxTokens = maxTokens;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public double PassThreshold => 1;

    /// <summary>The judge client.</summary>
    public IChatClient Judge { get; }

    /// <summary>The judge model id.</summary>
    public string Model { get; }

    /// <summary>The prompt messages.</summary>
    public IReadOnlyList<JudgeMessage> Messages { get; }

    /// <summary>The labels the judge chooses from.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The labels that pass (a subset of <see cref="Labels"/>).</summary>
    public IReadOnlyList<string> PassingLabels { get; }

    /// <summary>Sampling seed passed to the judge, if any.</summary>
    public int? Seed { get; }

    /// <summary>Output token cap for the judge, if any.</summary>
    public int? MaxTokens { get; }

    /// <inheritdoc/>
    public async ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct)
    {
        List<ChatMessage> prompt;
        var choices = string.Join(", ", Labels.Select(l => JsonSerializer.Serialize(l)));
        try
        {
            prompt = JudgePrompt.Render(Messages,
                $"Reply with only a JSON object {{\"result\": <exactly one of {choices}>, \"reason\": \"<one sentence>\"}}.", ctx);
        }
        catch (TemplateException e)
        {
            return GradeResult.Failed(Name, GradeErrorKind.MissingField, e.Message);
        }
        var schema = JsonSerializer.SerializeToElement(new
        {
            type = "object",
            properties = new { result = new { type = "string", @enum = Labels }, reason = new { type = "string" } },
            required = new[] { "result", "reason" },
            additionalProperties = false,
        });
        ChatResponse response;
        try
        {
            response = await Judge.GetResponseAsync(prompt, JudgePrompt.Options(Model, schema, Seed, MaxTokens), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return GradeResult.Failed(Name, GradeErrorKind.ModelError, $"judge '{Model}' failed: {e.Message}");
        }
        if (!JudgePrompt.TryParseReply(response.Text, out var result, out var reason, out var err))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, err!);
        if (result.ValueKind != JsonValueKind.String || !Labels.Contains(result.GetString()!, StringComparer.Ordinal))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"judge 'result' {result.GetRawText()} is not one of the labels {choices}.") with
            {
                Label = result.ValueKind == JsonValueKind.String ? result.GetString() : null,
            };
        var label = result.GetString()!;
        bool pass = PassingLabels.Contains(label, StringComparer.Ordinal);
        return GradeResult.Scored(Name, pass ? 1 : 0, PassThreshold) with { Label = label, Detail = reason };
    }
}
