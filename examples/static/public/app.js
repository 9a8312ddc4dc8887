// The whole sign-in through Latchkey's JSON API (openapi.json), same-origin, so
// the session cookie (HttpOnly) travels by itself: ask for a code, enter it,
// then GET /auth/session says who is signed in.
const $ = (id) => document.getElementById(id);

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = response.status === 204 ? null : await response.json();
  // Every error answer: { error: { code, message, requestId } }, the message in plain English.
  if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
  return data;
}

async function show() {
  $('message').textContent = '';
  try {
    const { user } = await call('GET', '/auth/session');
    $('who').textContent = user.email;
    $('signed-in').hidden = false;
    $('signed-out').hidden = true;
  } catch {
    $('signed-in').hidden = true;
    $('signed-out').hidden = false;
  }
}

$('request').addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = $('email').value.trim();
  try {
    await call('POST', '/auth/sign-in/email', { email });
    $('sent-to').textContent = email;
    $('verify').hidden = false;
    $('code').focus();
  } catch (error) {
    $('message').textContent = error.message;
  }
});

$('verify').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await call('POST', '/auth/sign-in/code', { email: $('email').value.trim(), code: $('code').value });
    await show();
  } catch (error) {
    $('message').textContent = error.message;
  }
});

$('sign-out').addEventListener('click', async () => {
  await call('POST', '/auth/sign-out');
  $('verify').hidden = true;
  await show();
});

show();
