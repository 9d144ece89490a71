namespace Hone.Numerics;

/// <summary>
/// Several linear layers over the same input (q/k/v, gate/up), for a few rows (decode): all their output rows go to the
/// workers as one run instead of one run per layer, so the threads meet once. Each output is the same dot product as in
/// <see cref="MatVec"/> (results equal the separate products bit for bit).
/// </summary>
internal static unsafe class MatVecFused
{
    /// <summary>Most layers fused in one run.</summary>
    internal const int MaxLayers = 3;

    /// <summary>One lane of (row of x, layer, chunk of that layer's outputs) per item (<see cref="LaneSchedule"/>).</summary>
    internal sealed class Job : IParallelWork
    {
        private readonly LaneSchedule _schedule = new();
        private readonly nint[] _w = new nint[MaxLayers];
        private readonly nint[] _bias = new nint[MaxLayers];
        private readonly nint[] _y = new nint[MaxLayers];
        private readonly int[] _n = new int[MaxLayers];
        private readonly int[] _firstChunk = new int[MaxLayers + 1];
        private float* _x;
        private int _k;
        private int _layers;
        private SimdLevel _level;

        /// <summary>Items per row of x once the layers are set.</summary>
        internal int ChunksPerRow => _firstChunk[_layers];

        internal void Begin(float* x, int k, SimdLevel level)
        {
            _x = x;
            _k = k;
            _level = level;
            _layers = 0;
        }

        internal void Add(float* w, float* bias, float* y, int n)
        {
            int i = _layers++;
            _w[i] = (nint)w;
            _bias[i] = (nint)bias;
            _y[i] = (nint)y;
            _n[i] = n;
            _firstChunk[i + 1] = _firstChunk[i] + ((n + MatVec.RowsPerChunk - 1) / MatVec.RowsPerChunk);
        }

        /// <summary>Deals the chunks of <paramref name="rows"/> rows of x to <paramref name="threads"/> lanes; returns the lanes.</summary>
        internal int Schedule(int rows, int threads)
        {
            _schedule.Reset(rows * ChunksPerRow, threads);
            return _schedule.Lanes;
        }

        public void Execute(int index, int worker)
        {
            int chunks = ChunksPerRow;
            while (_schedule.Next(index, out int item))
            {
                int row = item / chunks, chunk = item % chunks;
                int layer = 0;
                while (chunk >= _firstChunk[layer + 1])
                {
                    layer++;
                }

                int n = _n[layer];
                int j0 = (chunk - _firstChunk[layer]) * MatVec.RowsPerChunk;
                int j1 = Math.Min(n, j0 + MatVec.RowsPerChunk);
                MatVec.DotRows(_x + ((long)row * _k), (float*)_w[layer], (float*)_bias[layer], (float*)_y[layer] + ((long)row * n), _k, j0, j1, add: false, _level);
            }
        }
    }
}
