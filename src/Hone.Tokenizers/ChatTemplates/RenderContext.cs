namespace Hone.Tokenizers.ChatTemplates;

/// <summary>
/// What one render shares between its statements (<see cref="Renderer"/>), its expressions
/// (<see cref="ExpressionEvaluator"/>) and the filters, methods, tests and globals they call: the limits and the loop
/// budget spent against them, the position being evaluated (where an error is reported), the kind of template, and
/// the fixed clock of <c>strftime_now</c>.
/// </summary>
internal sealed class RenderContext
{
    private readonly SourceInfo _info;
    private long _iterations;

    public RenderContext(SourceInfo info, ChatTemplateLimits limits, string? strftimeNow, bool data)
    {
        _info = info;
        Limits = limits;
        StrftimeNow = strftimeNow;
        Data = data;
    }

    public ChatTemplateLimits Limits { get; }

    /// <summary>What <c>strftime_now</c> returns (null: the current UTC time, formatted).</summary>
    public string? StrftimeNow { get; }

    /// <summary>
    /// A data template (<see cref="TextTemplate"/>): an absent field is an error naming its path wherever its value is
    /// needed (printed, tested, iterated), a field wins over a dict method of the same name, and values print as JSON.
    /// </summary>
    public bool Data { get; }

    /// <summary>Source offset of the statement or expression being evaluated.</summary>
    public int Pos { get; set; }

    /// <summary>Runs <paramref name="body"/>, turning a template error into a <see cref="ChatTemplateException"/> located at <see cref="Pos"/>.</summary>
    public T Guard<T>(Func<T> body)
    {
        try
        {
            return body();
        }
        catch (TemplateError e)
        {
            throw _info.ToException(new TemplateErrorAt(Pos, e.Message, e.Raised) { Missing = e.Missing });
        }
        catch (TemplateErrorAt e)
        {
            throw _info.ToException(e);
        }
        catch (InsufficientExecutionStackException)
        {
            throw _info.ToException(new TemplateErrorAt(Pos, "template recursion is too deep; simplify it"));
        }
    }

    /// <summary>Fails when a value of <paramref name="len"/> chars would exceed <see cref="ChatTemplateLimits.MaxOutputChars"/>.</summary>
    public void CheckLength(long len)
    {
        if (len > Limits.MaxOutputChars)
            throw new TemplateError($"value of {len} chars is larger than the limit of {Limits.MaxOutputChars} chars (ChatTemplateLimits.MaxOutputChars)");
    }

    /// <summary>Spends <paramref name="n"/> loop iterations of the render's budget (<see cref="ChatTemplateLimits.MaxLoopIterations"/>).</summary>
    public void Tick(long n = 1)
    {
        _iterations += n;
        if (_iterations > Limits.MaxLoopIterations)
            throw new TemplateError($"template ran more than {Limits.MaxLoopIterations} loop iterations (ChatTemplateLimits.MaxLoopIterations); it may loop forever");
    }
}
