namespace Hone.Training.Analysis;

/// <summary>One line of a chart.</summary>
/// <param name="Name">Legend text (the metric name).</param>
/// <param name="Points">(x, y) points in order; non-finite ones are skipped.</param>
/// <param name="Color">The line's colour, <c>#rrggbb</c>.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, string Color);

/// <summary>One panel: a y-axis label and its series (sharing the x axis, "step").</summary>
public sealed record ChartPanel(string YLabel, IReadOnlyList<ChartSeries> Series);
