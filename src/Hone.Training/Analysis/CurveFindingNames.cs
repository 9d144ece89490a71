namespace Hone.Training.Analysis;

/// <summary>How a curve finding is named for people (reports and the CLI); JSON keeps the enum name.</summary>
public static class CurveFindingNames
{
    /// <summary>"not converging", "under-fitting" or "over-fitting".</summary>
    public static string DisplayName(this CurveFindingKind kind) => kind switch
    {
        CurveFindingKind.NotConverging => "not converging",
        CurveFindingKind.UnderFitting => "under-fitting",
        CurveFindingKind.OverFitting => "over-fitting",
        CurveFindingKind.BestCheckpoint => "best checkpoint",
        _ => kind.ToString(),
    };
}
