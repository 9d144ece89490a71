using System.Numerics.Tensors;

namespace Hone.Numerics;

/// <summary>Elementwise activations (SiLU, GELU-tanh, SwiGLU) and their backwards; naive twins beside them.
/// Outputs may alias their inputs exactly.</summary>
public static unsafe class Activations
{
    private const int Chunk = 256;

    /// <summary>Fewest elements per work item of the parallel overloads (a few microseconds of work).</summary>
    private const int ParallelMinElements = 1 << 14;

    [ThreadStatic]
    private static SwiGluJob? t_swiGlu;
    private const float GeluC = 0.7978845608028654f; // sqrt(2/π)
    private const float GeluA = 0.044715f;

    /// <summary>y = x·σ(x). Shapes: x, y [n].</summary>
    public static void Silu(ReadOnlySpan<float> x, Span<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(y.Length, x.Length, nameof(y));
        Span<float> t = stackalloc float[Chunk];
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int len = Math.Min(Chunk, x.Length - i);
            ReadOnlySpan<float> xs = x.Slice(i, len);
            TensorPrimitives.Sigmoid(xs, t[..len]);
            TensorPrimitives.Multiply(xs, t[..len], y.Slice(i, len));
        }
    }

    /// <summary>Naive twin of <see cref="Silu"/>.</summary>
    public static void SiluNaive(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = x[i] / (1f + MathF.Exp(-x[i]));
        }
    }

    /// <summary>dx = dy·σ(x)·(1 + x·(1 − σ(x))). Shapes: x, dy, dx [n] (dx may be dy).</summary>
    public static void SiluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float s = 1f / (1f + MathF.Exp(-x[i]));
            dx[i] = dy[i] * s * (1f + (x[i] * (1f - s)));
        }
    }

    /// <summary>SwiGLU: y = silu(gate)·up. Shapes: gate, up, y [n] (y may be gate or up).</summary>
    public static void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(up.Length, gate.Length, nameof(up));
        ArgumentOutOfRangeException.ThrowIfLessThan(y.Length, gate.Length, nameof(y));
        Span<float> t = stackalloc float[Chunk];
        for (int i = 0; i < gate.Length; i += Chunk)
        {
            int len = Math.Min(Chunk, gate.Length - i);
            ReadOnlySpan<float> g = gate.Slice(i, len);
            Span<float> tt = t[..len];
            TensorPrimitives.Sigmoid(g, tt);
            TensorPrimitives.Multiply(tt, g, tt);
            TensorPrimitives.Multiply(tt, up.Slice(i, len), y.Slice(i, len));
        }
    }

    /// <summary>As <see cref="SwiGlu(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>, split into contiguous
    /// parts across <paramref name="pool"/> (elementwise, so the same bits whatever the thread count).</summary>
    public static void SwiGlu(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y, WorkerPool? pool)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(up.Length, gate.Length, nameof(up));
        ArgumentOutOfRangeException.ThrowIfLessThan(y.Length, gate.Length, nameof(y));
        int parts = pool is null ? 1 : Math.Min(pool.ThreadCount, gate.Length / ParallelMinElements);
        if (parts <= 1)
        {
            SwiGlu(gate, up, y);
            return;
        }

        var job = t_swiGlu ??= new SwiGluJob();
        fixed (float* g = gate)
        fixed (float* u = up)
        fixed (float* o = y)
        {
            job.Set(g, u, o, gate.Length, parts);
            pool!.Run(job, parts);
        }
    }

    /// <summary>One contiguous part of the elements per item.</summary>
    private sealed class SwiGluJob : IParallelWork
    {
        private float* _gate;
        private float* _up;
        private float* _y;
        private int _n;
        private int _parts;

        public void Set(float* gate, float* up, float* y, int n, int parts)
        {
            _gate = gate;
            _up = up;
            _y = y;
            _n = n;
            _parts = parts;
        }

        public void Execute(int index, int worker)
        {
            int per = (((_n + _parts - 1) / _parts) + 15) / 16 * 16;
            int start = Math.Min(_n, index * per), length = Math.Min(_n - start, per);
            SwiGlu(new ReadOnlySpan<float>(_gate + start, length), new ReadOnlySpan<float>(_up + start, length), new Span<float>(_y + start, length));
        }
    }

    /// <summary>Naive twin of <see cref="SwiGlu(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static void SwiGluNaive(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            y[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
        }
    }

    /// <summary>Backward of <see cref="SwiGlu(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>: dGate = dy·up·silu'(gate), dUp = dy·silu(gate).
    /// Shapes: all [n]; dGate and dUp must not alias the inputs.</summary>
    public static void SwiGluBackward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, ReadOnlySpan<float> dy, Span<float> dGate, Span<float> dUp)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(up.Length, gate.Length, nameof(up));
        ArgumentOutOfRangeException.ThrowIfLessThan(dy.Length, gate.Length, nameof(dy));
        ArgumentOutOfRangeException.ThrowIfLessThan(dGate.Length, gate.Length, nameof(dGate));
        ArgumentOutOfRangeException.ThrowIfLessThan(dUp.Length, gate.Length, nameof(dUp));
        Span<float> sig = stackalloc float[Chunk];
        Span<float> silu = stackalloc float[Chunk];
        for (int i = 0; i < gate.Length; i += Chunk)
        {
            int len = Math.Min(Chunk, gate.Length - i);
            ReadOnlySpan<float> g = gate.Slice(i, len), d = dy.Slice(i, len);
            Span<float> s = sig[..len], a = silu[..len], dg = dGate.Slice(i, len);
            TensorPrimitives.Sigmoid(g, s);
            TensorPrimitives.Multiply(g, s, a);                  // silu(g) = g·s
            TensorPrimitives.Multiply(d, a, dUp.Slice(i, len));  // dUp = dy·silu(g)
            TensorPrimitives.Multiply(a, s, dg);                 // g·s²
            TensorPrimitives.Subtract(a, dg, dg);                // g·s·(1 − s)
            TensorPrimitives.Add(dg, s, dg);                     // silu'(g) = s + g·s·(1 − s)
            TensorPrimitives.Multiply(dg, up.Slice(i, len), dg);
            TensorPrimitives.Multiply(dg, d, dg);                // dGate = dy·up·silu'(g)
        }
    }

    /// <summary>Naive twin of <see cref="SwiGluBackward"/>: the formula element by element.</summary>
    public static void SwiGluBackwardNaive(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, ReadOnlySpan<float> dy, Span<float> dGate, Span<float> dUp)
    {
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            float s = 1f / (1f + MathF.Exp(-g));
            dUp[i] = dy[i] * g * s;
            dGate[i] = dy[i] * up[i] * s * (1f + (g * (1f - s)));
        }
    }

    /// <summary>GELU, tanh approximation (GPT-2): y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))), computed as
    /// x·σ(2u), which is the same function. Shapes: x, y [n].</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(y.Length, x.Length, nameof(y));
        Span<float> t = stackalloc float[Chunk];
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int len = Math.Min(Chunk, x.Length - i);
            ReadOnlySpan<float> xs = x.Slice(i, len);
            Span<float> tt = t[..len];
            TensorPrimitives.Multiply(xs, xs, tt);                 // x²
            TensorPrimitives.Multiply(tt, 2f * GeluC * GeluA, tt); // 2c·a·x²
            TensorPrimitives.Add(tt, 2f * GeluC, tt);              // 2c(1 + a·x²)
            TensorPrimitives.Multiply(tt, xs, tt);                 // 2u
            TensorPrimitives.Sigmoid(tt, tt);
            TensorPrimitives.Multiply(tt, xs, y.Slice(i, len));
        }
    }

    /// <summary>Naive twin of <see cref="Gelu"/>, written as GPT-2 writes it.</summary>
    public static void GeluNaive(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = 0.5f * v * (1f + MathF.Tanh(GeluC * (v + (GeluA * v * v * v))));
        }
    }

    /// <summary>Backward of <see cref="Gelu"/>. Shapes: x, dy, dx [n] (dx may be dy).</summary>
    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            float u = GeluC * (v + (GeluA * v * v * v));
            float th = MathF.Tanh(u);
            float du = GeluC * (1f + (3f * GeluA * v * v));
            dx[i] = dy[i] * ((0.5f * (1f + th)) + (0.5f * v * (1f - (th * th)) * du));
        }
    }
}
