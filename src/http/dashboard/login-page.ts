/** The login form. `notice` is one of our own fixed sentences, never request input. */
export function loginPage(notice?: 'wrong' | 'disabled' | 'throttled'): string {
  const text =
    notice === 'wrong'
      ? '<p class="notice error" role="alert">That token is not right.</p>'
      : notice === 'throttled'
        ? '<p class="notice error" role="alert">Too many sign-in attempts from here: wait a minute and try again.</p>'
        : notice === 'disabled'
        ? '<p class="notice error" role="alert">The dashboard is disabled: set BLUECAST_API_TOKEN and restart.</p>'
        : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · bluecast</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body class="login">
<main class="login-box">
  <h1>bluecast</h1>
  ${text}
  <form method="post" action="/login">
    <label for="token">API token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required ${notice === 'disabled' ? 'disabled' : 'autofocus'}>
    <button type="submit" ${notice === 'disabled' ? 'disabled' : ''}>Sign in</button>
  </form>
  <p class="hint">The value of BLUECAST_API_TOKEN.</p>
</main>
</body>
</html>
`;
}
