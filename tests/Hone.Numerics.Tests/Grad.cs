namespace Hone.Numerics.Tests;

/// <summary>Central finite differences in double precision and the comparison with analytic gradients.</summary>
internal static class Grad
{
    /// <summary>∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h, all in double.</summary>
    public static double[] Numeric(Func<double[], double> f, float[] x, double h = 1e-5)
    {
        double[] p = x.Select(v => (double)v).ToArray();
        var g = new double[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            double keep = p[i];
            p[i] = keep + h;
            double up = f(p);
            p[i] = keep - h;
            double down = f(p);
            p[i] = keep;
            g[i] = (up - down) / (2 * h);
        }

        return g;
    }

    /// <summary>Relative error ‖analytic − numeric‖₂ / ‖numeric‖₂ below <paramref name="tolerance"/>.</summary>
    public static void Check(ReadOnlySpan<float> analytic, double[] numeric, string what, double tolerance = 1e-3)
    {
        Assert.Equal(numeric.Length, analytic.Length);
        double diff = 0, norm = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
            norm += numeric[i] * numeric[i];
        }

        Assert.True(norm > 0, $"{what}: the numeric gradient is zero; the check would prove nothing.");
        double rel = Math.Sqrt(diff / norm);
        Assert.True(rel < tolerance, $"{what}: relative error {rel:E3} ≥ {tolerance:E0}");
    }

    /// <summary>Σ r_i·y_i: a random linear read-out turning an output into a scalar loss.</summary>
    public static double Dot(double[] r, double[] y)
    {
        double s = 0;
        for (int i = 0; i < r.Length; i++)
        {
            s += r[i] * y[i];
        }

        return s;
    }

    public static double[] D(float[] a) => a.Select(v => (double)v).ToArray();
}
