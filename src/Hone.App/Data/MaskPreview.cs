using System.Text.Json;
using System.Text.Json.Serialization;
using Hone.App.Models;
using Hone.Data.Model;

namespace Hone.App.Data;

/// <summary>What <see cref="MaskPreview"/> is asked.</summary>
/// <param name="File">The chat SFT JSONL file (full path).</param>
/// <param name="Example">Which example (1-based line number).</param>
/// <param name="Model">The local model whose tokenizer and chat template render the example.</param>
public sealed record MaskPreviewRequest(string File, int Example, LocalModel Model);

/// <summary>One token of a <see cref="MaskPreviewResult"/>.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Text">Its text.</param>
/// <param name="Trained">Whether SFT trains on it.</param>
public sealed record MaskToken(int Id, string Text, bool Trained);

/// <summary>The rendered example and its loss mask (the <c>--json</c> document of <c>hone data mask-preview</c>).</summary>
/// <param name="File">The file.</param>
/// <param name="Example">The example's line number.</param>
/// <param name="Template">Where the chat template came from.</param>
/// <param name="Text">The rendered example.</param>
/// <param name="Tokens">Its tokens.</param>
/// <param name="TrainedTokens">How many are trained on.</param>
/// <param name="MaskedTokens">How many are masked.</param>
public sealed record MaskPreviewResult(string File, int Example, string Template, string Text, IReadOnlyList<MaskToken> Tokens, int TrainedTokens, int MaskedTokens)
{
    /// <summary>Per character of <see cref="Text"/>: whether SFT trains on it.</summary>
    [JsonIgnore]
    public bool[] TrainedChars { get; init; } = [];
}

/// <summary>Use case "show which tokens of an example SFT trains on": render one example with the model's chat template and its loss mask.</summary>
public static class MaskPreview
{
    /// <summary>Renders the example.</summary>
    public static MaskPreviewResult Run(MaskPreviewRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (path, n) = (request.File, request.Example);
        if (n < 1) throw new UseCaseException("--example is a 1-based line number.");
        var line = System.IO.File.ReadLines(path).Skip(n - 1).FirstOrDefault()
            ?? throw new UseCaseException($"{path} has fewer than {n} lines.");
        var chat = OpenAiJson.ParseChat(line, path, n);
        var nodes = chat.Messages.Select(m => JsonSerializer.SerializeToNode(m, OpenAiJson.Options)!).ToList();
        var tools = chat.Tools is { Count: > 0 } ? JsonSerializer.SerializeToNode(chat.Tools, OpenAiJson.Options) : null;
        var encoder = request.Model.LoadEncoder();
        var enc = encoder.Encode(nodes, tools);
        var trained = enc.TrainedCount;
        var trainedChars = new bool[enc.Text.Length];
        for (var i = 0; i < enc.Ids.Length; i++)
            if (enc.Trained[i]) Array.Fill(trainedChars, true, enc.Offsets[i].Start, enc.Offsets[i].End - enc.Offsets[i].Start);
        var tokens = enc.Ids.Select((id, i) => new MaskToken(id, enc.Text[enc.Offsets[i].Start..enc.Offsets[i].End], enc.Trained[i])).ToList();
        return new MaskPreviewResult(path, n, encoder.TemplateSource, enc.Text, tokens, trained, enc.Ids.Length - trained) { TrainedChars = trainedChars };
    }
}
