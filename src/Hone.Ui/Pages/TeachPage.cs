using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hone.Data.Teach;
using Hone.Evals.Runs;
using Hone.Ui.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Hone.Ui.Pages;

/// <summary>
/// Edit to teach: one case of an eval run at a time (failures first; <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>e</kbd> edits,
/// <kbd>Ctrl</kbd>+<kbd>Enter</kbd> previews then saves). Editing the answer shows a live word diff against the
/// model's output; Preview shows the SFT example and the DPO pair that will be written; Save appends them through
/// <see cref="TeachWriter"/> (atomic) to <c>data/teach-sft.jsonl</c> and <c>data/teach-dpo.jsonl</c>.
/// </summary>
internal static class TeachPage
{
    public static PageResult Render(UiWorkspace ws, string id, IQueryCollection q, string csrf) =>
        Build(ws, id, q["case"].ToString(), null, null, null, csrf);

    /// <summary>Handles the form: <c>action=preview</c> shows the lines, <c>action=save</c> writes them.</summary>
    public static PageResult Save(UiWorkspace ws, string id, IFormCollection form, string csrf)
    {
        var caseId = form["case"].ToString();
        var corrected = Normalize(form["corrected"]);
        using var store = ws.OpenStore();
        var run = ws.LoadEval(store, id);
        var sample = run.Results.FirstOrDefault(r => r.CaseId == caseId) ?? throw new ArgumentException($"Case '{caseId}' is not in run {run.Run.Id}.");
        var correction = new TeachCorrection(sample.InputMessages(), sample.Output, corrected);
        try
        {
            if (form["action"] == "save")
            {
                var written = TeachWriter.Append(ws.Workspace.DataDir, correction);
                return Build(ws, id, caseId, corrected, written, "saved", csrf);
            }
            return Build(ws, id, caseId, corrected, TeachWriter.Plan(ws.Workspace.DataDir, correction), "preview", csrf);
        }
        catch (ArgumentException e)
        {
            return Build(ws, id, caseId, corrected, null, "error:" + e.Message, csrf);
        }
    }

    /// <summary>The word diff fragment for the live diff (encoded).</summary>
    public static string DiffHtml(string oldText, string newText) => ComparePage.DiffHtml(oldText, Normalize(newText));

    private static string Normalize(StringValues v) => v.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);

    private static PageResult Build(UiWorkspace ws, string id, string caseId, string? corrected, TeachLines? lines, string? state, string csrf)
    {
        using var store = ws.OpenStore();
        var run = ws.LoadEval(store, id);
        var order = run.Results.Where(r => r.Repeat == 0).OrderBy(r => EvalPage.Verdict(r) switch { "fail" => 0, "error" => 1, "pass" => 2, _ => 3 }).ToList();
        var sb = new StringBuilder($"<h1>Edit to teach <span class=\"muted\">run <a href=\"/eval/{Html.E(Html.U(run.Run.Id))}\">{Html.E(run.Run.Id)}</a></span></h1>");
        if (order.Count == 0) return PageResult.Show("Teach", "runs", sb.Append("<p>This run has no cases.</p>").ToString());
        int at = Math.Max(0, order.FindIndex(r => r.CaseId == caseId));
        var c = order[at];
        string Link(int i) => $"/teach/{Html.U(run.Run.Id)}{Html.Query(("case", order[i].CaseId))}";
        sb.Append("<nav class=\"pager\" aria-label=\"Cases\">");
        if (at > 0) sb.Append($"<a id=\"prev\" rel=\"prev\" href=\"{Html.E(Link(at - 1))}\" aria-keyshortcuts=\"k\">← previous (k)</a> ");
        sb.Append($"<span>case {at + 1} of {order.Count} (failures first)</span>");
        if (at < order.Count - 1) sb.Append($" <a id=\"next\" rel=\"next\" href=\"{Html.E(Link(at + 1))}\" aria-keyshortcuts=\"j\">next (j) →</a>");
        sb.Append("</nav>");
        var verdict = EvalPage.Verdict(c);
        sb.Append($"<section class=\"focus\" aria-label=\"Case\"><h2>{Html.E(c.CaseId)} {Html.Badge(verdict, verdict)}</h2>");
        foreach (var t in c.Tags) sb.Append($"<span class=\"tag\">{Html.E(t)}</span> ");
        sb.Append("<div class=\"cols\"><div><h3>Input</h3>");
        foreach (var m in c.InputMessages())
            sb.Append($"<div class=\"msg\"><b>{Html.E(m["role"]?.ToString())}</b><pre>{Html.E(m["content"]?.ToString())}</pre></div>");
        sb.Append($"<h3>Reference</h3><pre>{Html.E(c.Reference ?? "(none)")}</pre></div>");
        sb.Append($"<div><h3>Model output</h3><pre id=\"original\">{Html.E(c.Output)}</pre>");
        var text = corrected ?? c.Reference ?? c.Output;
        sb.Append($"<form method=\"post\" action=\"/teach/{Html.E(Html.U(run.Run.Id))}\" id=\"teach\">")
          .Append($"<input type=\"hidden\" name=\"csrf\" value=\"{Html.E(csrf)}\"><input type=\"hidden\" name=\"case\" value=\"{Html.E(c.CaseId)}\">")
          .Append($"<label for=\"corrected\"><h3>Corrected answer <span class=\"muted\">(e to edit)</span></h3></label><textarea id=\"corrected\" name=\"corrected\" rows=\"6\" aria-keyshortcuts=\"e\">{Html.E(text)}</textarea>")
          .Append($"<h3>Word diff: model output → corrected</h3><pre id=\"diff\" class=\"diff\" aria-live=\"polite\">{DiffHtml(c.Output, text)}</pre>")
          .Append("<button type=\"submit\" name=\"action\" value=\"preview\" id=\"preview\">Preview what will be written</button> ");
        if (state == "preview") sb.Append("<button type=\"submit\" name=\"action\" value=\"save\" id=\"save\" class=\"primary\">Save SFT example + DPO pair</button>");
        sb.Append("</form>");
        if (state is { } st && st.StartsWith("error:", StringComparison.Ordinal)) sb.Append($"<p class=\"error\" role=\"alert\">{Html.E(st[6..])}</p>");
        if (lines is not null)
        {
            sb.Append(state == "saved"
                ? $"<p class=\"ok\" role=\"status\" id=\"saved\">Saved: one line appended to each file.{(at < order.Count - 1 ? $" <a href=\"{Html.E(Link(at + 1))}\">Next case →</a>" : "")}</p>"
                : "<p role=\"status\">Will append these two lines (nothing is written until Save):</p>");
            sb.Append($"<h3><code>{Html.E(Path.GetRelativePath(ws.Workspace.Root, lines.SftPath))}</code> (SFT example)</h3><pre class=\"jsonl\" id=\"sft-line\">{Html.E(lines.SftLine)}</pre>")
              .Append($"<h3><code>{Html.E(Path.GetRelativePath(ws.Workspace.Root, lines.DpoPath))}</code> (DPO pair)</h3><pre class=\"jsonl\" id=\"dpo-line\">{Html.E(lines.DpoLine)}</pre>");
        }
        sb.Append("</div></div></section>");
        return PageResult.Show("Teach", "runs", sb.ToString());
    }
}
