namespace Hone.Models.Train;

/// <summary>An inference session that also frees the model it runs on (a merged copy made for it) when disposed.</summary>
internal sealed class OwningSession(IInferenceSession session, IDisposable model) : IInferenceSession
{
    public int VocabSize => session.VocabSize;

    public int? BosId => session.BosId;

    public IReadOnlyList<int> EosIds => session.EosIds;

    public int MaxContext => session.MaxContext;

    public int Position => session.Position;

    public void Reset() => session.Reset();

    public void Rewind(int position) => session.Rewind(position);

    public ReadOnlySpan<float> Forward(scoped ReadOnlySpan<int> tokens) => session.Forward(tokens);

    public void Forward(ReadOnlySpan<int> tokens, Span<float> logits) => session.Forward(tokens, logits);

    public void Dispose()
    {
        session.Dispose();
        model.Dispose();
    }
}
