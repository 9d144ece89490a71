using System.Globalization;
using System.Text.Json;
using Hone.Evals.Templating;
using Microsoft.Extensions.AI;

namespace Hone.Evals.Graders.Model;

/// <summary>
/// OpenAI's <c>score_model</c>: a judge model reads the rendered messages (its rubric) and answers
/// <c>{"result": number, "reason": "..."}</c> with the number in <see cref="RangeMin"/>..<see cref="RangeMax"/>.
/// The call uses temperature 0 and a JSON-schema response format.
/// </summary>
/// <remarks>
/// <see cref="GradeResult.RawScore"/> is the judge's number; <see cref="GradeResult.Score"/> is it mapped to [0, 1]:
/// (raw − min) / (max − min). The pass threshold is given on the judge's scale and compared with the raw number.
/// A reply that is not such an object, or whose number is outside the range, is a parse error (never a pass); a
/// failed call is a model error.
/// </remarks>
public sealed class ScoreModelGrader : IGrader
{
    /// <summary>Creates the grader.</summary>
    public ScoreModelGrader(string name, IChatClient judge, string model, IReadOnlyList<JudgeMessage> messages,
        double rangeMin, double rangeMax, double passThresholdRaw, int? seed = null, int? maxTokens = null)
    {
        ArgumentNullException.ThrowIfNull(judge);
        if (!(rangeMax > rangeMin)) throw new ArgumentException("range max must be above range min.", nameof(rangeMax));
        Name = name;
        Judge = judge;
        Model = model;
        Messages = messages;
        RangeMin = rangeMin;
        RangeMax = rangeMax;
        PassThresholdRaw = passThresholdRaw;
        Seed = seed;
        MaxTokens = maxTokens;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The pass threshold on the judge's scale.</summary>
    public double PassThresholdRaw { get; }

    /// <inheritdoc/>
    public double PassThreshold => (PassThresholdRaw - RangeMin) / (RangeMax - RangeMin);

    /// <summary>The judge client.</summary>
    public IChatClient Judge { get; }

    /// <summary>The judge model id.</summary>
    public string Model { get; }

    /// <summary>The rubric messages.</summary>
    public IReadOnlyList<JudgeMessage> Messages { get; }

    /// <summary>Lowest score the judge may give.</summary>
    public double RangeMin { get; }

    /// <summary>Highest score the judge may give.</summary>
    public double RangeMax { get; }

    /// <summary>Sampling seed passed to the judge, if any.</summary>
    public int? Seed { get; }

    /// <summary>Output token cap for the judge, if any.</summary>
    public int? MaxTokens { get; }

    /// <inheritdoc/>
    public async ValueTask<GradeResult> GradeAsync(GradeContext ctx, CancellationToken ct)
    {
        List<ChatMessage> prompt;
        var lo = RangeMin.ToString(CultureInfo.InvariantCulture);
        var hi = RangeMax.ToString(CultureInfo.InvariantCulture);
        try
        {
            prompt = JudgePrompt.Render(Messages,
                $"Reply with only a JSON object {{\"result\": <number from {lo} to {hi}>, \"reason\": \"<one sentence>\"}}.", ctx);
        }
        catch (TemplateException e)
        {
            return GradeResult.Failed(Name, GradeErrorKind.MissingField, e.Message);
        }
        var schema = JsonSerializer.SerializeToElement(new
        {
            type = "object",
            properties = new { result = new { type = "number", minimum = RangeMin, maximum = RangeMax }, reason = new { type = "string" } },
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
        if (result.ValueKind != JsonValueKind.Number || !result.TryGetDouble(out var raw) || !double.IsFinite(raw))
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"judge 'result' must be a number, got {result.GetRawText()}.");
        if (raw < RangeMin || raw > RangeMax)
            return GradeResult.Failed(Name, GradeErrorKind.ParseError, $"judge 'result' {raw.ToString(CultureInfo.InvariantCulture)} is outside the range [{lo}, {hi}].");
        return new GradeResult
        {
            Grader = Name,
            Score = (raw - RangeMin) / (RangeMax - RangeMin),
            RawScore = raw,
            Pass = raw >= PassThresholdRaw,
            Detail = reason,
        };
    }
}
