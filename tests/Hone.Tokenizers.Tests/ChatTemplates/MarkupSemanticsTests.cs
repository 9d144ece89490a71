using System.Text.Json.Nodes;
using Hone.Tokenizers.ChatTemplates;

namespace Hone.Tokenizers.Tests.ChatTemplates;

/// <summary>
/// Jinja2's Markup rules and its lazy iterables, each case rendered by Jinja2 3.1.6 with MarkupSafe 3.0.3 under Hugging
/// Face's settings (autoescape off, ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
/// tojson = json.dumps(ensure_ascii=False)). A null expectation means Jinja2 raised (its message is in the comment above).
/// The rules, from the sources: markupsafe/__init__.py (3.0.3) — Markup.__add__ returns Markup(self + escape(other)) for a
/// str and NotImplemented otherwise; __radd__ returns escape(other) + self; __mul__/__rmul__, __getitem__, strip, upper,
/// lower, title, capitalize, swapcase, zfill, removeprefix/suffix, split, splitlines, partition return Markup; replace
/// escapes its new text, ljust/rjust/center their fill char, join each item, format each argument; escape(Markup) is the
/// value itself. jinja2/compiler.py visit_Concat — with autoescape off `~` is str_join (str() of each part: a plain str,
/// nothing escaped). jinja2/filters.py (3.1.6) — safe is Markup(value); escape/e is markupsafe.escape; forceescape escapes
/// str(value); trim, upper, lower, capitalize, center, indent, string, reverse work on soft_str and so keep Markup; title,
/// join and replace (autoescape off) return a plain str; map, select, reject, selectattr, rejectattr, unique, batch and
/// items are generators, reverse of a list is reversed(list); tests.py — `escaped` is hasattr(value, "__html__").
/// </summary>
public class MarkupSemanticsTests
{
    public static TheoryData<string, string, string?> MarkupCases => new()
    {
        { "{{ ('<a>'|safe) + '<b>' }}|{{ ('<a>'|safe) + ('<b>'|safe) }}", "{}", "<a>&lt;b&gt;|<a><b>" },
        { "{{ '<b>' + ('<a>'|safe) }}|{{ s + ('<a>'|safe) }}", "{\"s\": \"\\\"it's\\\" & <i>\"}", "&lt;b&gt;<a>|&#34;it&#39;s&#34; &amp; &lt;i&gt;<a>" },
        { "{{ ('<a>'|safe) ~ '<b>' }}|{{ '<b>' ~ ('<a>'|safe) }}|{{ (('<a>'|safe) ~ '<b>') + '&' }}|{{ ('<a>'|safe) ~ 1 ~ none }}", "{}", "<a><b>|<b><a>|<a><b>&|<a>1None" },
        { "{{ (('<a>'|safe) + '<b>') is escaped }}{{ ('<b>' + ('<a>'|safe)) is escaped }}{{ (('<a>'|safe) ~ '<b>') is escaped }}{{ ('<a>'|safe) is escaped }}{{ '<a>' is escaped }}{{ ('<a>'|e) is escaped }}", "{}", "TrueTrueFalseTrueFalseTrue" },
        { "{{ '<&>'|e|e }}|{{ ('<&>'|safe)|e }}|{{ ('<&>'|safe)|forceescape }}|{{ ('<&>'|escape) + '<' }}|{{ ('\"' ~ \"'\")|e }}", "{}", "&lt;&amp;&gt;|<&>|&lt;&amp;&gt;|&lt;&amp;&gt;&lt;|&#34;&#39;" },
        { "{{ 5|e + '<' }}|{{ none|e + '<' }}|{{ nope|e + '<' }}|{{ x|e }}|{{ (x|safe) + '<' }}|{{ (5|safe) + '<' }}", "{\"x\": {\"a\": 1}}", "5&lt;|None&lt;|&lt;|{&#39;a&#39;: 1}|{'a': 1}&lt;|5&lt;" },
        // TypeError: unsupported operand type(s) for +: 'Markup' and 'int'
        { "{{ ('<a>'|safe) + 5 }}", "{}", null },
        // TypeError: unsupported operand type(s) for +: 'Markup' and 'dict'
        { "{{ ('<a>'|safe) + x }}", "{\"x\": {\"a\": 1}}", null },
        // TypeError: unsupported operand type(s) for +: 'dict' and 'Markup'
        { "{{ x + ('<a>'|safe) }}", "{\"x\": {\"a\": 1}}", null },
        // TypeError: unsupported operand type(s) for +: 'Markup' and 'NoneType'
        { "{{ ('<a>'|safe) + none }}", "{}", null },
        { "{{ ('<a>'|safe) * 2 + '<' }}|{{ 2 * ('<a>'|safe) + '<' }}", "{}", "<a><a>&lt;|<a><a>&lt;" },
        { "{{ ('<a>'|safe)|upper + '<' }}|{{ (' <a> '|safe)|trim + '<' }}|{{ ('<a>'|safe)|string + '<' }}|{{ ('<A>'|safe)|lower + '<' }}|{{ ('<a>'|safe)|capitalize + '<' }}|{{ ('<'|safe)|center(3) + '>' }}|{{ ('<\\n<'|safe)|indent(1) + '>' }}|{{ ('<a'|safe)|reverse + '>' }}|{{ ('<a>'|safe)|default('x') + '>' }}", "{}", "<A>&lt;|<a>&lt;|<a>&lt;|<a>&lt;|<a>&lt;| < &gt;|<\n <&gt;|a<&gt;|<a>&gt;" },
        { "{{ ('<a b>'|safe)|title + '<' }}|{{ ('<a>'|safe)|replace('a', '<') + '<' }}|{{ ['<', '>']|join('&'|safe) + '<' }}|{{ ('<a>'|safe)|first + '<' }}|{{ ('<a>'|safe)|list }}|{% for c in '<a'|safe %}{{ c + '>' }}{% endfor %}", "{}", "<A B><|<<><|<&><|<<|['<', 'a', '>']|<>a>" },
        { "{{ ('<a>'|safe)[0] + '<' }}|{{ ('<a>'|safe)[0:2] + '<' }}|{{ ('<a>'|safe)[::-1] + '<' }}|{{ (' <a> '|safe).strip() + '<' }}|{{ ('<a>'|safe).replace('a', '<') + '<' }}|{{ ('a<b'|safe).split('<')[0] + '<' }}|{{ ('a<b'|safe).partition('<')[2] + '<' }}|{{ ('a\\nb'|safe).splitlines()[0] + '<' }}", "{}", "<&lt;|<a&lt;|>a<&lt;|<a>&lt;|<&lt;>&lt;|a&lt;|b&lt;|a&lt;" },
        { "{{ ('&'|safe).join(['<', '>']) + '<' }}|{{ ('{}<'|safe).format('<') }}|{{ ('{}<'|safe).format('<'|safe) }}|{{ ('<a>'|safe).upper() + '<' }}|{{ ('<a>'|safe).ljust(4) + '<' }}|{{ ('<a>'|safe).zfill(5) + '<' }}|{{ ('<a>'|safe).removeprefix('<') + '<' }}", "{}", "&lt;&&gt;&lt;|&lt;<|<<|<A>&lt;|<a> &lt;|00<a>&lt;|a>&lt;" },
        { "{{ ('<a>'|safe)|tojson }}|{{ ['<'|safe]|tojson }}|{{ ('<a>'|safe) == '<a>' }}|{{ ('<a>'|safe)|length }}|{{ {('k'|safe): 1}['k'] }}|{{ ['<'|safe] }}", "{}", "\"<a>\"|[\"<\"]|True|3|1|[Markup('<')]" },
        { "{% set y = '<'|safe %}{{ y + '<' }}|{% macro m() %}<{% endmacro %}{{ m() + '<' }}|{% set b %}<{% endset %}{{ b + '<' }}", "{}", "<&lt;|<<|<<" },
        // TypeError: The fill character must be exactly one character long
        { "{{ ('<a>'|safe).center(5, '<') }}", "{}", null },
        { "{{ 'Use ' | safe + name + ' > ' | safe + desc }}", "{\"name\": \"get_<x>\", \"desc\": \"a & b\"}", "Use get_&lt;x&gt; > a &amp; b" },
    };

    public static TheoryData<string, string, string?> IterableCases => new()
    {
        // TypeError: Object of type generator is not JSON serializable
        { "{{ [1, 2]|map('string')|tojson }}", "{}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ [1, 2]|select|tojson }}", "{}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ [1, 2]|reject|tojson }}", "{}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ users|selectattr('a')|tojson }}", "{\"users\": [{\"a\": 1}]}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ users|rejectattr('a')|tojson }}", "{\"users\": [{\"a\": 1}]}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ users|map(attribute='a')|tojson(indent=2) }}", "{\"users\": [{\"a\": 1}]}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ {'a': 1}|items|tojson }}", "{}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ [1, 1]|unique|tojson }}", "{}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ [1, 1]|batch(1)|tojson }}", "{}", null },
        // TypeError: Object of type list_reverseiterator is not JSON serializable
        { "{{ [1, 2]|reverse|tojson }}", "{}", null },
        // TypeError: Object of type dict_items is not JSON serializable
        { "{{ {'a': 1}.items()|tojson }}", "{}", null },
        // TypeError: Object of type dict_keys is not JSON serializable
        { "{{ {'a': 1}.keys()|tojson }}", "{}", null },
        // TypeError: Object of type dict_values is not JSON serializable
        { "{{ {'a': 1}.values()|tojson }}", "{}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ {'x': [1]|select}|tojson }}", "{}", null },
        // TypeError: Object of type generator is not JSON serializable
        { "{{ [[1]|select]|tojson }}", "{}", null },
        // TypeError: object of type 'generator' has no len()
        { "{{ [1, 2]|map('string')|length }}", "{}", null },
        // TypeError: 'generator' object is not reversible
        { "{{ [1, 2]|map('string')|last }}", "{}", null },
        // TypeError: object of type 'list_reverseiterator' has no len()
        { "{{ [1, 2]|reverse|length }}", "{}", null },
        // TypeError: unsupported operand type(s) for +: 'generator' and 'list'
        { "{{ ([1]|select) + [1] }}", "{}", null },
        // TypeError: 'generator' object is not subscriptable
        { "{{ ([1]|select)[0:1] }}", "{}", null },
        { "{% set g = [1, 2]|map('string') %}{{ g|join(',') }}|{{ g|join(',') }}|{% for x in g %}{{ x }}{% else %}empty{% endfor %}", "{}", "1,2||empty" },
        { "{% if []|select %}T{% else %}F{% endif %}{% if {}.items() %}T{% else %}F{% endif %}|{{ ([1]|select)[0] }}|{{ 1 in [1]|select }}|{{ 'a' in {'a': 1}.keys() }}", "{}", "TF||True|True" },
        { "{{ [1, 2]|map('string')|reverse|tojson }}|{{ [1, 2]|reverse|list }}|{{ [1, 2]|map('string')|first }}|{{ [1, 2]|select|sum }}|{{ [3, 1]|select|min }}|{{ [2, 1]|select|sort }}", "{}", "[\"2\", \"1\"]|[2, 1]|1|3|1|[1, 2]" },
        { "{{ [1, 2]|map('string') is iterable }}{{ [1, 2]|map('string') is sequence }}{{ {'a': 1}.keys() is sequence }}{{ {'a': 1}.keys() is iterable }}|{{ {'a': 1}.keys()|length }}|{{ {'a': 1}.items() }}|{{ {'a': 1}.keys() }}|{{ {'a': 1}.values() }}", "{}", "TrueFalseFalseTrue|1|dict_items([('a', 1)])|dict_keys(['a'])|dict_values([1])" },
        { "{% set a, b = [1, 2]|select %}{{ a }}{{ b }}|{% for k, v in {'a': 1}.items() %}{{ k }}{{ v }}{% endfor %}|{{ {'a': 1}.items()|list }}|{{ ({'a': 1}.items()|list)[0] }}", "{}", "12|a1|[('a', 1)]|('a', 1)" },
        { "{{ [1, 2]|map('string')|map('int')|list|tojson }}|{{ [[1]]|map('first')|list|tojson }}|{{ {'b': 1}|dictsort|tojson }}|{{ [2, 1]|sort|tojson }}", "{}", "[1, 2]|[1]|[[\"b\", 1]]|[1, 2]" },
        { "{{ ({'a': 1}.items())[0] }}|{{ ([1]|select).x }}", "{}", "|" },
    };

    [Theory]
    [MemberData(nameof(MarkupCases))]
    public void Markup_follows_markupsafe(string template, string variablesJson, string? expected) => Check(template, variablesJson, expected);

    [Theory]
    [MemberData(nameof(IterableCases))]
    public void Generators_and_views_follow_jinja2(string template, string variablesJson, string? expected) => Check(template, variablesJson, expected);

    [Fact]
    public void Tojson_of_a_generator_names_the_filter_and_how_to_fix_it()
    {
        var t = ChatTemplate.Parse("line one\n{{ tools | map(attribute='function') | tojson(indent=2) }}", "t.jinja");
        var input = new ChatRenderInput { Messages = [], Variables = new Dictionary<string, JsonNode?> { ["tools"] = JsonNode.Parse("[{\"function\": {\"name\": \"f\"}}]") } };
        var ex = Assert.Throws<ChatTemplateException>(() => t.Render(input));
        Assert.Equal(2, ex.Line);
        Assert.Contains("tojson", ex.Detail, StringComparison.Ordinal);
        Assert.Contains("Object of type generator is not JSON serializable", ex.Detail, StringComparison.Ordinal);
        Assert.Contains("|list", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Escaping_a_message_keeps_its_span_on_the_escaped_text()
    {
        // '<m>'|safe + content escapes the content (Markup.__radd__); the assistant span must cover the escaped text.
        var t = ChatTemplate.Parse("{% for m in messages %}{{ '<m>'|safe + m.content + '</m>'|safe }}{% endfor %}");
        var input = ChatRenderInput.FromJson(System.Text.Json.JsonDocument.Parse(
            "[{\"role\": \"user\", \"content\": \"a<b\"}, {\"role\": \"assistant\", \"content\": \"x & y\"}]").RootElement, null, false);
        var r = t.Render(input);
        Assert.Equal("<m>a&lt;b</m><m>x &amp; y</m>", r.Text);
        var span = Assert.Single(r.Spans);
        Assert.Equal("x &amp; y", r.Text[span.Start..span.End]);
    }

    private static void Check(string template, string variablesJson, string? expected)
    {
        var vars = JsonNode.Parse(variablesJson)!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone());
        var input = new ChatRenderInput { Messages = [], Variables = vars };
        var t = ChatTemplate.Parse(template);
        if (expected is null)
        {
            var ex = Assert.Throws<ChatTemplateException>(() => t.Render(input));
            Assert.True(ex.Line >= 1 && ex.Column >= 1, ex.Message);
            return;
        }
        Assert.Equal(expected, t.Render(input).Text);
    }
}
