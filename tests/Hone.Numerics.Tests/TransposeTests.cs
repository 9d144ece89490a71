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

    [Theory]
    [InlineData(16, 16, 16)]
    [InlineData(17, 33, 40)]
    [InlineData(48, 35, 100)]
    [InlineData(5, 64, 64)]
    [InlineData(33, 1, 7)]
    public void A_block_of_a_wider_matrix_transposes_as_its_naive_twin_and_nothing_else_is_written(int rows, int cols, int stride)
    {
        var rng = new Random((rows * 7) + cols + stride);
        float[] src = Rand.Floats(rng, (rows * stride) + 5);
        var expected = new float[rows * cols];
        MatMulNaive.Transpose(src.AsSpan(3), stride, expected, rows, cols);
        var actual = Rand.Floats(rng, (rows * cols) + 1);
        float guard = actual[^1];
        MatMulBackward.Transpose(src.AsSpan(3), stride, actual, rows, cols);
        Assert.Equal(expected, actual.AsSpan(0, rows * cols).ToArray());
        Assert.Equal(guard, actual[^1]);
        Assert.Equal(src[3 + ((rows - 1) * stride) + cols - 1], actual[(rows * cols) - 1]);
    }
}
