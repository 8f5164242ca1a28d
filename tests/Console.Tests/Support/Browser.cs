using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Fleet.Console.Tests.Support;

/// <summary>
/// Debian's headless Chromium driven by Debian's chromedriver (no browser download is possible here). Tests skip,
/// saying why, where either is not installed (<c>scripts/install-deps.sh --tests</c> installs both as root).
/// </summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private Browser(ChromeDriver driver, Uri baseUri)
    {
        Driver = driver;
        BaseUri = baseUri;
    }

    public ChromeDriver Driver { get; }

    public Uri BaseUri { get; }

    /// <summary>Why no browser can run here, or null.</summary>
    public static string? Missing() =>
        !File.Exists(ChromiumPath) ? $"{ChromiumPath} is not installed (Debian package chromium; scripts/install-deps.sh --tests installs it as root)"
        : !File.Exists(DriverPath) ? $"{DriverPath} is not installed (Debian package chromium-driver; scripts/install-deps.sh --tests installs it as root)"
        : null;

    public static Browser Start(Uri baseUri)
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1440,1000", "--lang=en-US");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        return new Browser(driver, baseUri);
    }

    public void Open(string path) => Driver.Navigate().GoToUrl(new Uri(BaseUri, path));

    /// <summary>Waits for an element (the page renders over its circuit after load) and returns it.</summary>
    public IWebElement Find(string css, int seconds = 30) =>
        new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)).Until(d => d.FindElements(By.CssSelector(css)).FirstOrDefault(e => e.Displayed));

    public IReadOnlyList<IWebElement> All(string css) => Driver.FindElements(By.CssSelector(css));

    public bool Exists(string css) => Driver.FindElements(By.CssSelector(css)).Count > 0;

    /// <summary>Waits until <paramref name="condition"/> holds on the page, failing with <paramref name="what"/>.</summary>
    public void WaitUntil(Func<bool> condition, string what, int seconds = 30)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)) { Message = "waiting for: " + what };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        wait.Until(_ => condition());
    }

    /// <summary>Types into an input and commits it (Enter fires the change the console listens to).</summary>
    public void Type(string css, string text)
    {
        var input = Find(css);
        input.Clear();
        input.SendKeys(text + Keys.Enter);
    }

    /// <summary>Saves a PNG of the page under the test output's <c>screenshots</c> folder; returns its path.</summary>
    public string Screenshot(string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>Opens the console signed out (signing out whoever was signed in in this tab) and submits <paramref name="token"/>.</summary>
    public void SignIn(string token)
    {
        Open("ui");
        WaitUntil(() => Exists("#token") || Exists("#sign-out"), "the console renders");
        if (Exists("#sign-out"))
        {
            Find("#sign-out").Click();
        }
        Find("#token").SendKeys(token);
        Find("#sign-in").Click();
    }

    /// <summary>Signed in with <paramref name="token"/> (kept in the tab's session storage, so reloads stay signed in).</summary>
    public void SignedInAs(string token, string subject)
    {
        Open("ui");
        WaitUntil(() => Exists("#token") || Exists("#sign-out"), "the console renders");
        if (Exists("#who") && Find("#who").Text == subject)
        {
            return;
        }
        SignIn(token);
        WaitUntil(() => Exists("#who") && Find("#who").Text == subject, "signed in as " + subject);
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
    }
}
