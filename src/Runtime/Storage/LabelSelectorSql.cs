using System.Globalization;
using System.Text;
using Fleet.Abstractions;

namespace Fleet.Runtime.Storage;

/// <summary>
/// Translates a label selector into SQL conditions over the <c>resource_labels</c> index table (alias-free
/// correlated EXISTS on the primary key), so that selecting 10,000 clusters is one indexed query. Both providers
/// use it: the SQL is the common subset of SQLite and PostgreSQL.
/// </summary>
internal static class LabelSelectorSql
{
    /// <summary>Appends <c> AND ...</c> for each requirement; <paramref name="addParameter"/> returns the parameter's name.</summary>
    public static void AppendConditions(StringBuilder sql, LabelSelector selector, Func<object, string> addParameter)
    {
        foreach (var r in selector.Requirements)
        {
            var key = addParameter(r.Key);
            const string exists = " AND EXISTS (SELECT 1 FROM resource_labels l WHERE l.kind = r.kind AND l.namespace = r.namespace AND l.name = r.name AND l.key = ";
            const string notExists = " AND NOT EXISTS (SELECT 1 FROM resource_labels l WHERE l.kind = r.kind AND l.namespace = r.namespace AND l.name = r.name AND l.key = ";
            switch (r.Operator)
            {
                case SelectorOperator.Equals:
                    sql.Append(exists).Append(key).Append(" AND l.value = ").Append(addParameter(r.Values[0])).Append(')');
                    break;
                case SelectorOperator.NotEquals:
                    sql.Append(notExists).Append(key).Append(" AND l.value = ").Append(addParameter(r.Values[0])).Append(')');
                    break;
                case SelectorOperator.In:
                    sql.Append(exists).Append(key).Append(" AND l.value IN (").Append(ValueList(r.Values, addParameter)).Append("))");
                    break;
                case SelectorOperator.NotIn:
                    sql.Append(notExists).Append(key).Append(" AND l.value IN (").Append(ValueList(r.Values, addParameter)).Append("))");
                    break;
                case SelectorOperator.Exists:
                case SelectorOperator.GreaterThan:
                case SelectorOperator.LessThan:
                    // Gt/Lt compare integers; the index narrows to objects having the key and the caller
                    // applies the numeric comparison (a cast in SQL would fail on non-numeric values).
                    sql.Append(exists).Append(key).Append(')');
                    break;
                case SelectorOperator.DoesNotExist:
                    sql.Append(notExists).Append(key).Append(')');
                    break;
                default:
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Unsupported selector operator {r.Operator} for key '{r.Key}'."));
            }
        }
    }

    /// <summary>True when SQL alone answers the selector exactly, so no in-memory check is needed.</summary>
    public static bool IsExact(LabelSelector selector) =>
        selector.Requirements.All(r => r.Operator is not (SelectorOperator.GreaterThan or SelectorOperator.LessThan));

    private static string ValueList(IReadOnlyList<string> values, Func<object, string> addParameter)
    {
        if (values.Count == 0)
        {
            // "key in ()" matches nothing; NULL keeps the SQL valid and the IN false.
            return "NULL";
        }

        return string.Join(", ", values.Select(v => addParameter(v)));
    }
}
