using Fleet.Silo;

var app = await EmbeddedSilo.StartAsync(args);
await app.WaitForShutdownAsync();
