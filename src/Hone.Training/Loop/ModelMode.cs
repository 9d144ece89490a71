using Hone.Models.Train;

namespace Hone.Training.Loop;

/// <summary>Switches a model's modes (<see cref="ITrainableModel.AdaptersEnabled"/>, <see cref="ITrainableModel.DropoutEnabled"/>) for a while; disposing restores them.</summary>
public readonly struct ModelMode : IDisposable
{
    private readonly ITrainableModel? _model;
    private readonly bool _adapters, _dropout;

    private ModelMode(ITrainableModel model, bool? adapters, bool? dropout)
    {
        _model = model;
        _adapters = model.AdaptersEnabled;
        _dropout = model.DropoutEnabled;
        if (dropout is bool d) model.DropoutEnabled = d;
        if (adapters is bool a && model.HasAdapters) model.AdaptersEnabled = a;
    }

    /// <summary>Scoring without dropout; with <paramref name="adapters"/> false, as the base model (the adapters off).</summary>
    public static ModelMode Evaluation(ITrainableModel model, bool adapters = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ModelMode(model, adapters ? null : false, false);
    }

    /// <summary>The base model: the adapters off (dropout as it is).</summary>
    public static ModelMode Base(ITrainableModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ModelMode(model, false, null);
    }

    /// <summary>Restores the modes.</summary>
    public void Dispose()
    {
        if (_model is null) return;
        _model.AdaptersEnabled = _adapters;
        _model.DropoutEnabled = _dropout;
    }
}
