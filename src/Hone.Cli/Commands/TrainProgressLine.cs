using System.Globalization;
using System.Text;
using Hone.Training.Runs;

namespace Hone.Cli.Commands;

/// <summary>
/// The one line that shows a training run's progress: fitted to the terminal width (fields are dropped, least useful
/// first, until it fits) and with one ETA, measured from the pace of the steps after the first report, so the
/// warm-up step (JIT, first allocations) and the time before a resume do not count.
/// </summary>
internal sealed class TrainProgressLine
{
    private readonly Func<TimeSpan> _clock;
    private TimeSpan _startAt;
    private long _startStep = -1;

    /// <param name="clock">Time since some fixed point (a stopwatch's elapsed time).</param>
    public TrainProgressLine(Func<TimeSpan> clock) { _clock = clock; }

    /// <summary>The time left at the pace measured so far, or null until two reports have been seen (or when done).</summary>
    public TimeSpan? Eta { get; private set; }

    /// <summary>Takes a report and returns its line, at most <paramref name="width"/> chars long.</summary>
    public string Update(TrainingProgress p, int width, bool bar)
    {
        Measure(p);
        return Format(p, Eta, width, bar);
    }

    private void Measure(TrainingProgress p)
    {
        var now = _clock();
        if (p.Phase == "done" || p.Step >= p.TotalSteps) { Eta = null; return; }
        if (_startStep < 0 || p.Step < _startStep)
        {
            // The first report comes after the first step: the pace is measured from here on.
            _startAt = now;
            _startStep = p.Step;
            Eta = null;
            return;
        }
        var steps = p.Step - _startStep;
        var elapsed = (now - _startAt).TotalSeconds;
        if (steps <= 0 || elapsed <= 0) return;
        Eta = TimeSpan.FromSeconds(Math.Min(elapsed / steps * (p.TotalSteps - p.Step), TimeSpan.MaxValue.TotalSeconds / 2));
    }

    /// <summary>
    /// The line for a report. Fields, most useful first: percent, step and the phase when it is not "train", ETA, loss, epoch, accuracy, tokens/s; the
    /// least useful go first when the width is short, and a bar fills what is left when <paramref name="bar"/> is set.
    /// </summary>
    public static string Format(TrainingProgress p, TimeSpan? eta, int width, bool bar)
    {
        width = Math.Max(1, width);
        var inv = CultureInfo.InvariantCulture;
        var fraction = p.TotalSteps > 0 ? Math.Clamp((double)p.Step / p.TotalSteps, 0, 1) : 0;
        // (position in the line, priority: lower is kept longer, text)
        var fields = new List<(int Order, int Priority, string Text)>
        {
            (1, 0, string.Create(inv, $"{fraction * 100,3:0}%")),
            (2, 1, string.Create(inv, $"step {p.Step}/{p.TotalSteps}")),
            (8, 2, eta is { } e ? "ETA " + Duration(e) : ""),
            (4, 3, string.Create(inv, $"loss {p.Loss:0.0000}")),
            (3, 4, string.Create(inv, $"epoch {p.Epoch}/{p.Epochs}")),
            (5, 5, string.Create(inv, $"{p.AccuracyName} {p.Accuracy:0.000}")),
            (6, 6, p.TokensPerSecond > 0 ? string.Create(inv, $"{p.TokensPerSecond:N0} tok/s") : ""),
            (0, 1, p.Phase == "train" ? "" : p.Phase),
        };
        fields.RemoveAll(f => f.Text.Length == 0);
        string Join() => string.Join("  ", fields.OrderBy(f => f.Order).Select(f => f.Text));
        var line = Join();
        while (line.Length > width && fields.Count > 1)
        {
            fields.Remove(fields.MaxBy(f => f.Priority));
            line = Join();
        }
        if (line.Length > width) line = line[..width];
        const int minBar = 10;
        var room = width - line.Length - 2;
        if (!bar || room < minBar) return line;
        var cells = Math.Min(40, room) - 2;
        var filled = (int)Math.Round(fraction * cells);
        var sb = new StringBuilder(width);
        sb.Append('[').Append('#', filled).Append('.', cells - filled).Append("]  ").Append(line);
        return sb.ToString();
    }

    /// <summary>m:ss under an hour, h:mm:ss under a day, then days.</summary>
    internal static string Duration(TimeSpan t)
    {
        var inv = CultureInfo.InvariantCulture;
        if (t.TotalHours < 1) return string.Create(inv, $"{(int)t.TotalMinutes}:{t.Seconds:00}");
        if (t.TotalDays < 1) return string.Create(inv, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}");
        return string.Create(inv, $"{(int)t.TotalDays}d {t.Hours}h");
    }
}
