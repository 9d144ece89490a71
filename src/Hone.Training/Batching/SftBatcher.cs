using Hone.Models.Train;

namespace Hone.Training.Batching;

/// <summary>
/// Lays SFT examples out in a <see cref="TokenBatch"/>. Position t of an example predicts id t+1; its target is that
/// id when id t+1 is trained (or always, under train-on-inputs) and <see cref="TokenBatch.IgnoreTarget"/> otherwise.
/// Padding puts one example per row; packing puts several examples per row one after another, each with its own
/// segment id and positions restarting at 0, so that attention never crosses examples.
/// </summary>
public static class SftBatcher
{
    /// <summary>Resets a batch to all padding: token <paramref name="padId"/>, no target, position 0, segment −1.</summary>
    public static void Clear(TokenBatch batch, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Array.Fill(batch.Tokens, padId);
        Array.Fill(batch.Targets, TokenBatch.IgnoreTarget);
        Array.Clear(batch.Positions);
        Array.Fill(batch.SegmentIds, -1);
    }

    /// <summary>Writes one example at (<paramref name="row"/>, <paramref name="offset"/>) with the given segment id.</summary>
    public static void Place(TokenBatch batch, int row, int offset, int segment, TokenizedExample example, bool trainOnInputs)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(example);
        int len = example.Length;
        if (offset < 0 || offset + len > batch.SequenceLength || row < 0 || row >= batch.Rows)
            throw new ArgumentOutOfRangeException(nameof(example), $"An example of {len} tokens does not fit at row {row}, offset {offset} of a {batch.Rows}×{batch.SequenceLength} batch.");
        int b = (row * batch.SequenceLength) + offset;
        for (int t = 0; t < len; t++)
        {
            batch.Tokens[b + t] = example.Ids[t];
            batch.Positions[b + t] = t;
            batch.SegmentIds[b + t] = segment;
            bool hasNext = t + 1 < len;
            batch.Targets[b + t] = hasNext && (trainOnInputs || example.Trained[t + 1]) ? example.Ids[t + 1] : TokenBatch.IgnoreTarget;
        }
    }

    /// <summary>Padding mode: example <paramref name="indices"/>[r] goes to row r (segment 0); the rest is padding.</summary>
    public static void Pad(TokenBatch batch, IReadOnlyList<TokenizedExample> examples, ReadOnlySpan<int> indices, bool trainOnInputs, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(examples);
        if (indices.Length > batch.Rows) throw new ArgumentException($"{indices.Length} examples for a batch of {batch.Rows} rows.", nameof(indices));
        Clear(batch, padId);
        for (int r = 0; r < indices.Length; r++) Place(batch, r, 0, 0, examples[indices[r]], trainOnInputs);
    }

    /// <summary>
    /// Packing plan: walks <paramref name="indices"/> in order and starts a new row when the next example does not fit
    /// in <paramref name="rowLength"/>. Returns, per row, the example indices it holds.
    /// </summary>
    /// <exception cref="TrainingException">An example is longer than a row.</exception>
    public static List<int[]> PlanPacking(IReadOnlyList<TokenizedExample> examples, ReadOnlySpan<int> indices, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowLength, 1);
        var rows = new List<int[]>();
        var current = new List<int>();
        int used = 0;
        foreach (int i in indices)
        {
            int len = examples[i].Length;
            if (len > rowLength)
                throw new TrainingException($"Training example {i + 1} has {len} tokens, more than the {rowLength} a row holds. Shorten it (hone data check lists over-long examples) or raise the sequence length.");
            if (used + len > rowLength)
            {
                rows.Add([.. current]);
                current.Clear();
                used = 0;
            }
            current.Add(i);
            used += len;
        }
        if (current.Count > 0) rows.Add([.. current]);
        return rows;
    }

    /// <summary>Packing mode: row r holds the examples of <paramref name="rows"/>[r], segments 0, 1, 2… in order.</summary>
    public static void Pack(TokenBatch batch, IReadOnlyList<TokenizedExample> examples, IReadOnlyList<int[]> rows, bool trainOnInputs, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count > batch.Rows) throw new ArgumentException($"{rows.Count} packed rows for a batch of {batch.Rows} rows.", nameof(rows));
        Clear(batch, padId);
        for (int r = 0; r < rows.Count; r++)
        {
            int offset = 0;
            for (int s = 0; s < rows[r].Length; s++)
            {
                var ex = examples[rows[r][s]];
                Place(batch, r, offset, s, ex, trainOnInputs);
                offset += ex.Length;
            }
        }
    }
}
