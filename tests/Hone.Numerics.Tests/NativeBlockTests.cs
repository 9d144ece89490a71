namespace Hone.Numerics.Tests;

/// <summary>Arena blocks large enough for huge pages (a 2 MiB-aligned mapping on Linux) behave as the small ones.</summary>
public class NativeBlockTests
{
    [Theory]
    [InlineData(1000)]            // below 2 MiB: the aligned allocator
    [InlineData(3 << 20)]         // 12 MiB: a mapping advised for huge pages
    public void An_arena_block_is_zeroed_aligned_writable_and_freed(int floats)
    {
        for (int round = 0; round < 3; round++)
        {
            using var arena = new Arena(floats);
            var t = arena.Allocate("t", floats);
            unsafe
            {
                fixed (float* p = t.Span)
                {
                    Assert.Equal(0, (long)p % Arena.Alignment);
                }
            }

            Assert.True(t.Span.IndexOfAnyExcept(0f) < 0, "a new arena reads zero");
            t.Span.Fill(round + 1f);
            Assert.Equal(round + 1f, t.Span[^1]);
        }
    }
}
