using System.Buffers;
using Hone.Data.Cost;
using Hone.Data.Jsonl;
using Hone.Data.Model;

namespace Hone.Data.Checks;

/// <summary>
/// <c>hone data check</c>: streams a JSONL file, reports every problem with its line and JSON path, computes token
/// statistics, duplicates, contradictions, balance, system-prompt consistency, leakage against a validation file,
/// and the training cost. Input files are only read.
/// </summary>
public sealed class DataChecker
{
    private readonly DataCheckOptions _options;

    /// <summary>Creates a checker; the options are validated here.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public DataChecker(DataCheckOptions? options = null)
    {
        _options = options ?? new DataCheckOptions();
        _options.Validate();
    }

    /// <summary>Checks a file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public DataCheckReport Check(string path, CancellationToken cancellationToken = default)
    {
        using var reader = JsonlReader.Open(path, _options.Reader);
        return Check(reader, cancellationToken);
    }

    /// <summary>Checks what a reader yields (the reader names the source in the report).</summary>
    public DataCheckReport Check(JsonlReader reader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var collector = new FindingCollector(_options.MaxFindingsPerCode);
        using var analyzer = new DatasetAnalyzer(_options.FindNearDuplicates ? new Similarity.NearDuplicateOptions { Threshold = _options.NearDuplicateThreshold } : null);
        var tokens = new List<int>();
        DataKind? kind = _options.Kind;
        long lines = 0, objects = 0;
        var (limit, limitSource) = _options.ResolveContextLimit();

        // Lines are read in order on this thread; their examples are parsed, validated and tokenised a batch at a time
        // on the workers (each example against its own sink), and the batches are merged here in line order, so the
        // report is the one a single thread would write. Lines until the first object are parsed here (it names the
        // kind of every later example); later lines travel as bytes in the batch's buffer. A bounded number of batches
        // is in flight, so memory does not grow with the file.
        void Merge(ValidatedBatch done)
        {
            for (int i = 0; i < done.Lines.Count; i++)
            {
                var result = done.Results[i];
                collector.AddRange(result.LineFindings);
                if (result.IsObject) objects++;
                if (result.Sink is not { } sink) continue;
                if (result.Digest is { } digest)
                {
                    tokens.Add(digest.Tokens);
                    if (digest.Tokens > limit) OverLimitWarning(sink, digest.Tokens, limit);
                    analyzer.Add(digest, result.Keys!);
                }
                collector.AddRange(sink.Findings);
            }
            if (done.Bytes.Length > 0) ArrayPool<byte>.Shared.Return(done.Bytes);
        }

        var pipeline = new OrderedPipeline<PendingBatch, ValidatedBatch>(
            _options.Threads, 2 * _options.Threads, b => ValidateBatch(reader, b, analyzer), Merge, cancellationToken);
        var batch = new List<BatchLine>(BatchLines);
        byte[] bytes = [];
        int used = 0;
        long batchStart = 0;
        void PostBatch()
        {
            pipeline.Post(new PendingBatch(kind ?? DataKind.Sft, batch, bytes));
            batch = new List<BatchLine>(BatchLines);
            bytes = [];
            used = 0;
            batchStart = reader.BytesRead;
        }
        foreach (var raw in reader.ReadRawLines(cancellationToken))
        {
            lines = raw.LineNumber;
            if (raw.TooLong is { } tooLong)
            {
                batch.Add(new BatchLine(tooLong.LineNumber, tooLong.Findings, null, 0, 0, false));
            }
            else if (kind is null)
            {
                var line = reader.Parse(raw.Buffer, raw.Offset, raw.Length, raw.LineNumber, raw.HasNewline, out var document);
                using (document)
                {
                    System.Text.Json.JsonElement? root = null;
                    if (line.Root is { } r)
                    {
                        kind = ExampleValidators.Detect(r);
                        root = r.Clone(); // the document is gone once this line is filed
                    }
                    batch.Add(new BatchLine(line.LineNumber, line.Findings, root, 0, 0, false));
                }
            }
            else
            {
                if (bytes.Length - used < raw.Length)
                {
                    var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max((long)used + raw.Length, Math.Max(BatchBytes + (BatchBytes / 4), 2L * bytes.Length))));
                    bytes.AsSpan(0, used).CopyTo(grown);
                    if (bytes.Length > 0) ArrayPool<byte>.Shared.Return(bytes);
                    bytes = grown;
                }
                raw.Buffer.AsSpan(raw.Offset, raw.Length).CopyTo(bytes.AsSpan(used));
                batch.Add(new BatchLine(raw.LineNumber, null, null, used, raw.Length, raw.HasNewline));
                used += raw.Length;
            }
            if (batch.Count == BatchLines || reader.BytesRead - batchStart >= BatchBytes) PostBatch();
        }
        if (batch.Count > 0) PostBatch();
        pipeline.Complete();

        var resolvedKind = kind ?? DataKind.Sft;
        var datasetFindings = new List<DataFinding>();
        if (tokens.Count < 10)
        {
            datasetFindings.Add(new DataFinding(FindingSeverity.Warning, FindingCodes.TooFewExamples, null, null,
                $"{tokens.Count} valid example(s); OpenAI requires at least 10 and improvements usually show with 50-100.",
                "Add examples (target the failures of the prompted model) until there are at least 50."));
        }

        int? leaked = null, validCount = null;
        if (_options.ValidFile is { } validPath)
        {
            (leaked, validCount) = CheckValid(validPath, reader.SourceName, resolvedKind, analyzer, collector, cancellationToken);
        }

        var dataset = analyzer.Finish(collector, datasetFindings, leaked, validCount);
        collector.AddRange(datasetFindings);

        TokenStats? stats = null;
        CostEstimate? cost = null;
        if (tokens.Count > 0)
        {
            var sorted = tokens.ToArray();
            Array.Sort(sorted);
            long total = 0;
            foreach (var t in sorted) total = checked(total + t);
            stats = new TokenStats
            {
                Counter = _options.TokenCounter.Name,
                IsEstimate = _options.TokenCounter.IsEstimate,
                Examples = sorted.Length,
                Total = total,
                Min = sorted[0],
                Max = sorted[^1],
                Mean = (double)total / sorted.Length,
                Median = Percentiles.OfSorted(sorted, 50),
                P5 = Percentiles.OfSorted(sorted, 5),
                P95 = Percentiles.OfSorted(sorted, 95),
                ContextLimit = limit,
                ContextLimitSource = limitSource,
                OverLimit = sorted.Count(t => t > limit),
            };
            if (stats.OverLimit > 0) stats = stats with { OverLimitAction = ContextLimits.OverflowAction(stats.OverLimit, limit, _options.ContextLimit is not null) };
            var (price, priceSource) = _options.ResolvePrice();
            cost = CostEstimator.Estimate(tokens, limit, _options.Epochs, price, priceSource);
        }

        return new DataCheckReport
        {
            File = reader.SourceName,
            Kind = resolvedKind,
            KindDetected = _options.Kind is null,
            Lines = lines,
            Bytes = reader.BytesRead,
            Examples = objects,
            ValidExamples = tokens.Count,
            Errors = collector.Count(FindingSeverity.Error),
            Warnings = collector.Count(FindingSeverity.Warning),
            Infos = collector.Count(FindingSeverity.Info),
            CountsByCode = collector.CountsByCode,
            Findings = collector.Sorted(),
            FindingsTruncated = collector.Truncated,
            Tokens = stats,
            Dataset = dataset,
            Cost = cost,
        };
    }

    /// <summary>Most lines validated per batch.</summary>
    private const int BatchLines = 256;

    /// <summary>A batch also ends past this many bytes of the file (a few batches of cloned JSON are held at once).</summary>
    private const long BatchBytes = 1 << 20;

    /// <summary>
    /// A line as read: its number and either what the reader made of it (its findings and, for a JSON object, the root)
    /// or, with null findings, where its bytes are in the batch's buffer (to be parsed on a worker).
    /// </summary>
    private readonly record struct BatchLine(long Line, IReadOnlyList<DataFinding>? Findings, System.Text.Json.JsonElement? Root, int Offset, int Length, bool HasNewline);

    /// <summary>Lines to validate as examples of <paramref name="Kind"/>; <paramref name="Bytes"/> holds the unparsed ones (rented).</summary>
    private sealed record PendingBatch(DataKind Kind, List<BatchLine> Lines, byte[] Bytes);

    /// <summary>A line's outcome: the reader's findings, whether it is an object, its digest (null when invalid) and keys, and its example's sink (null: no object).</summary>
    private readonly record struct LineResult(IReadOnlyList<DataFinding> LineFindings, bool IsObject, ExampleDigest? Digest, DigestKeys? Keys, FindingSink? Sink);

    /// <summary>A batch with each line's outcome, and the buffer to give back.</summary>
    private sealed record ValidatedBatch(List<BatchLine> Lines, LineResult[] Results, byte[] Bytes);

    /// <summary>Parses (where not yet parsed), validates and counts the tokens of every example of the batch, one sink each, and makes the analyser's keys of the valid ones.</summary>
    private ValidatedBatch ValidateBatch(JsonlReader reader, PendingBatch pending, DatasetAnalyzer analyzer)
    {
        var batch = pending.Lines;
        var results = new LineResult[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            var b = batch[i];
            if (b.Findings is { } findings)
            {
                results[i] = b.Root is { } root ? Example(b.Line, root, findings) : new LineResult(findings, false, null, null, null);
                continue;
            }
            var line = reader.Parse(pending.Bytes, b.Offset, b.Length, b.Line, b.HasNewline, out var document);
            using (document)
            {
                results[i] = line.Root is { } root ? Example(b.Line, root, line.Findings) : new LineResult(line.Findings, false, null, null, null);
            }
        }
        return new ValidatedBatch(batch, results, pending.Bytes);

        LineResult Example(long lineNumber, System.Text.Json.JsonElement root, IReadOnlyList<DataFinding> findings)
        {
            var sink = new FindingSink { Line = lineNumber };
            var digest = Validate(pending.Kind, root, sink);
            return new LineResult(findings, true, digest, digest is null ? null : analyzer.Keys(digest), sink);
        }
    }

    private void OverLimitWarning(FindingSink sink, int count, int limit)
    {
        var counted = _options.TokenCounter.IsEstimate ? "estimated" : "counted";
        if (_options.ContextLimit is not null)
        {
            sink.Warning(FindingCodes.OverContextLimit, "$", $"the example has {count:N0} tokens ({counted}), over the {limit:N0}-token context; hone train drops it by default (--on-overflow drop).",
                "Shorten the example (trim the conversation or tool definitions), train with --on-overflow truncate (cuts its earliest turns), or pick a model with a larger context.");
        }
        else
        {
            sink.Warning(FindingCodes.OverContextLimit, "$", $"the example has {count:N0} tokens ({counted}), over the {limit:N0}-token limit; it would be truncated.",
                "Shorten the example (trim the conversation or tool definitions) or pick a model with a larger context.");
        }
    }

    private ExampleDigest? Validate(DataKind kind, System.Text.Json.JsonElement root, FindingSink sink)
    {
        try
        {
            return ExampleValidators.Validate(kind, root, sink, _options.TokenCounter, _options.Reader.MaxDepth <= OpenAiJson.Options.MaxDepth);
        }
        catch (DataFormatException e)
        {
            // Shapes the structural checks let through but the typed model cannot hold (e.g. "weight": 1.0, a numeric name).
            sink.Error(FindingCodes.DataType, "$", $"the example does not fit the {kind} format: {e.Message}", "Fix the value's JSON type (strings for names and ids, integers 0/1 for weight).");
            return null;
        }
    }

    private (int Leaked, int Valid) CheckValid(string validPath, string trainSource, DataKind kind, DatasetAnalyzer train, FindingCollector collector, CancellationToken ct)
    {
        using var reader = JsonlReader.Open(validPath, _options.Reader);
        var sink = new FindingSink();
        int leaked = 0, valid = 0;
        foreach (var line in reader.ReadLines(ct))
        {
            foreach (var f in line.Findings) collector.Add(f with { File = validPath });
            if (line.Root is not { } root) continue;
            sink.Clear();
            sink.Line = line.LineNumber;
            var digest = Validate(kind, root, sink);
            if (digest is not null)
            {
                valid++;
                train.AddValid(digest);
            }
            foreach (var f in sink.Findings)
            {
                // Per-example style warnings of the validation file are the training file's business; keep errors and leaks.
                if (f.Severity == FindingSeverity.Error) collector.Add(f with { File = validPath });
            }
        }
        // Leaks are found once the whole file is read; each finding follows the others of its line.
        foreach (var (validLine, trainLine) in train.Leaks())
        {
            leaked++;
            collector.Add(new DataFinding(FindingSeverity.Error, FindingCodes.TrainValidLeakage, validLine, "$",
                $"the validation example has the same input as line {trainLine} of {trainSource} (the training file); the validation score would be inflated.",
                "Remove it from one of the files (or re-split with `hone data split`, which keeps duplicates together).") { File = validPath });
        }
        return (leaked, valid);
    }
}
