namespace Hone.Numerics.Tests;

public class ArenaTests
{
    [Fact]
    public unsafe void Tensors_are_64_byte_aligned_disjoint_and_zeroed()
    {
        using var arena = new Arena(Arena.FloatsFor(3 * 5, 7, 16));
        Tensor a = arena.Allocate("a", 3, 5);
        Tensor b = arena.Allocate("b", 7);
        Tensor c = arena.Allocate("c", 4, 2, 2);
        foreach (Tensor t in new[] { a, b, c })
        {
            fixed (float* p = t.Span)
            {
                Assert.Equal(0, (long)p % Arena.Alignment);
            }

            Assert.All(t.Span.ToArray(), v => Assert.Equal(0f, v));
        }

        a.Span.Fill(1f);
        b.Span.Fill(2f);
        c.Span.Fill(3f);
        Assert.All(a.Span.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(b.Span.ToArray(), v => Assert.Equal(2f, v));
        Assert.Equal([3, 5], a.Shape);
        Assert.Equal(15, a.Length);
        Assert.Equal(5, a.Row(2).Length);
        Assert.Equal(16, c.Length);
        Assert.Equal("c[4, 2, 2]", c.ToString());
        Assert.Equal(b.Offset, arena["b"].Offset);
    }

    [Fact]
    public void Overflow_duplicates_and_bad_shapes_are_clear_errors()
    {
        using var arena = new Arena(32);
        arena.Allocate("x", 16);
        Assert.Throws<ArgumentException>(() => arena.Allocate("x", 4));
        Assert.Throws<ArgumentException>(() => arena.Allocate("y", 0));
        var ex = Assert.Throws<InvalidOperationException>(() => arena.Allocate("z", 17));
        Assert.Contains("'z'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<KeyNotFoundException>(() => arena["nope"]);
    }

    [Fact]
    public void A_disposed_arena_refuses_access()
    {
        var arena = new Arena(16);
        Tensor t = arena.Allocate("t", 16);
        arena.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Span.Length);
        Assert.Throws<ObjectDisposedException>(() => arena.Allocate("u", 1));
    }
}
