namespace Hone.Numerics.Tests;

public class TransposeTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 40)]
    [InlineData(40, 1)]
    [InlineData(16, 16)]
    [InlineData(17, 33)]
    [InlineData(32, 48)]
    [InlineData(256, 8)]
    [InlineData(8, 256)]
    [InlineData(131, 515)]
    public void Transpose_matches_its_naive_twin_exactly(int rows, int cols)
    {
        var rng = new Random((rows * 1000) + cols);
        float[] src = Rand.Floats(rng, rows * cols);
        var expected = new float[rows * cols];
        MatMulNaive.Transpose(src, expected, rows, cols);
        var actual = Rand.Floats(rng, (rows * cols) + 3);
        float guard = actual[^1];
        MatMulBackward.Transpose(src, actual, rows, cols);
        Assert.Equal(expected, actual.AsSpan(0, rows * cols).ToArray());
        Assert.Equal(guard, actual[^1]);
        Assert.Equal(src[(rows * cols) - 1], actual[(rows * cols) - 1]);
    }
}
