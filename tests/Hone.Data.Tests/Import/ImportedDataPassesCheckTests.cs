using Hone.Data.Checks;
using Hone.Data.Import;
using Hone.Data.Import.Json;
using Hone.Testing;

namespace Hone.Data.Tests.Import;

/// <summary>Cross-check with the data checker: what the importers write is valid OpenAI data (no error findings).</summary>
public class ImportedDataPassesCheckTests
{
    private static IReadOnlyList<DataFinding> Errors(string path) =>
        new DataChecker(new DataCheckOptions { FindNearDuplicates = false }).Check(path).Findings.Where(f => f.Severity == FindingSeverity.Error).ToList();

    [Fact]
    public void Imported_AG_news_has_no_format_errors()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "ag.jsonl");
        Importers.Import(CsvImportTests.AgNewsOptions(path));
        Assert.Empty(Errors(path));
    }

    [Fact]
    public void Imported_glaive_tool_calls_have_no_format_errors()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "glaive.jsonl");
        Importers.Import(new ShareGptImportOptions { InputPath = TestAssets.Path("datasets", "llama-factory-demo", "glaive_toolcall_en_demo.json"), OutputPath = path });
        var errors = Errors(path);
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5)));
    }

    [Fact]
    public void Imported_dpo_pairs_have_no_format_errors()
    {
        var path = Path.Combine(TestAssets.NewTempDir(), "dpo.jsonl");
        Importers.Import(new ShareGptPreferenceImportOptions { InputPath = TestAssets.Path("datasets", "llama-factory-demo", "dpo_en_demo.json"), OutputPath = path });
        var errors = Errors(path);
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5)));
    }
}
