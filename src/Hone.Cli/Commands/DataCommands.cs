using System.CommandLine;

namespace Hone.Cli.Commands;

/// <summary><c>hone data ...</c>: getting a training set right before anything is spent on it.</summary>
public static class DataCommands
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliHost host) => new("data", "Training data: check, import, export, split, ladder, mask preview, synth, review.")
    {
        DataCheckCommand.Create(host),
        DataImportExportCommands.CreateImport(host),
        DataImportExportCommands.CreateExport(host),
        DataSplitCommands.CreateSplit(host),
        DataSplitCommands.CreateLadder(host),
        MaskPreviewCommand.Create(host),
        DataBakeCommand.Create(host),
        DataSynthCommand.Create(host),
        DataReviewCommand.Create(host),
    };
}
