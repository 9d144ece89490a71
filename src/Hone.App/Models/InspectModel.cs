using Hone.Formats.Inspection;
using Hone.Models;

namespace Hone.App.Models;

/// <summary>The result of <see cref="InspectModel"/>: what the file says, and whether a load would succeed.</summary>
/// <param name="Info">Architecture, sizes, parameters by group, dtypes, special tokens, chat template.</param>
/// <param name="LoadError">Why a load would fail, or null when it would not.</param>
public sealed record InspectModelResponse(ModelInfo Info, string? LoadError)
{
    /// <summary>Whether a load would succeed.</summary>
    public bool Valid => LoadError is null;
}

/// <summary>Use case "inspect a local model file": its header read, then the checks a load makes (tensors present with their shapes, memory).</summary>
public static class InspectModel
{
    /// <summary>Inspects <paramref name="path"/> (at <paramref name="workingDirectory"/>); a file a load would refuse is reported with what could be read.</summary>
    public static InspectModelResponse Run(string path, string workingDirectory)
    {
        var full = Path.GetFullPath(Path.Combine(workingDirectory, path));
        var info = ModelInspector.Inspect(full);
        try
        {
            LanguageModels.Validate(full);
            return new InspectModelResponse(info, null);
        }
        catch (ModelLoadException e)
        {
            return new InspectModelResponse(info, e.Message);
        }
    }
}
