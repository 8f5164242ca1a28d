using System.Reflection;

namespace Fleet.Store.Storage.Postgres;

/// <summary>Orleans' PostgreSQL scripts for its ADO.NET providers, embedded from <c>Orleans/*.sql</c> (see the README there).</summary>
internal static class OrleansAdoNetScripts
{
    private static readonly string[] Files = ["PostgreSQL-Main.sql", "PostgreSQL-Clustering.sql", "PostgreSQL-Persistence.sql", "PostgreSQL-Reminders.sql"];

    /// <summary>The four scripts in the order they must run (Main creates the query table the others fill).</summary>
    public static string All => string.Join("\n", Files.Select(Read));

    private static string Read(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Fleet.Store.Orleans." + file)
            ?? throw new InvalidOperationException($"The embedded Orleans script {file} is missing from Fleet.Store.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
