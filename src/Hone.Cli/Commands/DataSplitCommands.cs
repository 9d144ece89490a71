using System.CommandLine;
using System.Globalization;
using Hone.App.Data;
using Hone.Data.Splitting;
using Spectre.Console;

namespace Hone.Cli.Commands;

/// <summary><c>hone data split</c> and <c>hone data ladder</c>.</summary>
public static class DataSplitCommands
{
    /// <summary>Builds <c>split</c>.</summary>
    public static Command CreateSplit(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var file = new Argument<string>("FILE") { Description = "JSONL file to split (never modified)." };
        var valid = new Option<double>("--valid") { Description = "Fraction for the validation split.", DefaultValueFactory = _ => 0.2 };
        var test = new Option<double>("--test") { Description = "Fraction for a test split (0: none).", DefaultValueFactory = _ => 0.0 };
        var stratify = new Option<string?>("--stratify") { Description = "Keep label proportions: 'label' (the assistant's final answer) or a top-level field name." };
        var group = new Option<string?>("--group") { Description = "A top-level field whose equal values stay in one split." };
        var noNearDup = new Option<bool>("--no-near-duplicate-groups") { Description = "Do not keep near-duplicates (MinHash Jaccard ≥ 0.8) together." };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed gives the same split.", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string?>("--out-dir")
        {
            Description = "Folder for STEM.train.jsonl, STEM.valid.jsonl (and STEM.test.jsonl), STEM being FILE's name without .jsonl; " +
                          "a STEM that already ends in a split name gets 'split' there instead (train.jsonl → split.train.jsonl). Default: beside FILE.",
        };
        var skipInvalid = DataImportExportCommands.SkipInvalidOption("unreadable or unlabelled lines");
        var cmd = new Command("split", "Deterministic train/valid(/test) split, stratified by label, grouped so near-duplicates never straddle splits. " +
            "An unreadable or unlabelled line means nothing is written (exit 2) unless --skip-invalid.")
        {
            file, valid, test, stratify, group, noNearDup, seed, outDir, skipInvalid,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var result = DataSplit.Split(new DataSplitRequest(new SplitOptions
            {
                InputPath = p.GetValue(file)!,
                OutputDirectory = p.GetValue(outDir),
                ValidFraction = p.GetValue(valid),
                TestFraction = p.GetValue(test),
                Stratify = p.GetValue(stratify),
                GroupBy = p.GetValue(group),
                GroupNearDuplicates = !p.GetValue(noNearDup),
                Seed = p.GetValue(seed),
                SkipInvalid = p.GetValue(skipInvalid),
            }, ctx.WorkingDirectory));
            ctx.WriteJson(result);
            var labels = result.Labels.Keys.Order(StringComparer.Ordinal).ToList();
            var table = new Table().AddColumn("split").AddColumn("examples");
            foreach (var l in labels) table.AddColumn(Markup.Escape(l));
            table.AddColumn("file");
            foreach (var part in result.Parts)
                table.AddRow([part.Name, part.Count.ToString(CultureInfo.InvariantCulture),
                    .. labels.Select(l => part.Labels.GetValueOrDefault(l).ToString(CultureInfo.InvariantCulture)), Markup.Escape(part.Path)]);
            table.AddRow(["all", result.Total.ToString(CultureInfo.InvariantCulture), .. labels.Select(l => result.Labels[l].ToString(CultureInfo.InvariantCulture)), ""]);
            ctx.Console.Write(table);
            if (result.NearDuplicateGroups > 0) ctx.Console.MarkupLine($"{result.NearDuplicateGroups} near-duplicate groups kept within one split.");
            DataImportExportCommands.WriteSkipped(ctx, result.Problems, result.ProblemCount);
            return ExitCodes.Success;
        });
        return cmd;
    }

    /// <summary>Builds <c>ladder</c>.</summary>
    public static Command CreateLadder(CliHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var file = new Argument<string>("FILE") { Description = "JSONL training file (never modified)." };
        var sizes = new Option<string>("--sizes") { Description = "auto (25, 50, 100, … up to the file's size) or a list like 25,50,100.", DefaultValueFactory = _ => "auto" };
        var stratify = new Option<string?>("--stratify") { Description = "Keep label proportions: 'label' or a top-level field name (default: label when the outputs look like labels)." };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed gives the same subsets.", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string?>("--out-dir") { Description = "Folder for the STEM.ladder-N.jsonl subsets; default: beside FILE." };
        var skipInvalid = DataImportExportCommands.SkipInvalidOption("unreadable or unlabelled lines");
        var cmd = new Command("ladder", "Nested, stratified subsets (each contains the smaller ones) for the 'double the data, measure the gain' step. " +
            "An unreadable or unlabelled line means nothing is written (exit 2) unless --skip-invalid.")
        {
            file, sizes, stratify, seed, outDir, skipInvalid,
        };
        host.SetHandler(cmd, (p, ctx) =>
        {
            var result = DataSplit.Ladder(new DataLadderRequest(new LadderOptions
            {
                InputPath = p.GetValue(file)!,
                OutputDirectory = p.GetValue(outDir),
                Sizes = LadderOptions.ParseSizes(p.GetValue(sizes)!),
                Stratify = p.GetValue(stratify),
                Seed = p.GetValue(seed),
                SkipInvalid = p.GetValue(skipInvalid),
            }, ctx.WorkingDirectory));
            ctx.WriteJson(result);
            var labels = result.Labels.Keys.Order(StringComparer.Ordinal).ToList();
            var table = new Table().AddColumn("size");
            foreach (var l in labels) table.AddColumn(Markup.Escape(l));
            table.AddColumn("file");
            foreach (var r in result.Rungs)
                table.AddRow([r.Size.ToString(CultureInfo.InvariantCulture), .. labels.Select(l => r.Labels.GetValueOrDefault(l).ToString(CultureInfo.InvariantCulture)), Markup.Escape(r.Path)]);
            ctx.Console.Write(table);
            DataImportExportCommands.WriteSkipped(ctx, result.Problems, result.ProblemCount);
            return ExitCodes.Success;
        });
        return cmd;
    }
}
