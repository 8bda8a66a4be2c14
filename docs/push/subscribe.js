// Loop311 push: the page side. Include it on a page with a button, then call
//   loop311FollowRequest("https://notify.city.gov", requestId, token)  // a reporter's request
//   loop311FollowTopic("https://notify.city.gov", "storm")              // a city topic
// The browser asks the resident for permission; granting it is their opt-in.
async function loop311PushSubscription(notifyUrl) {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    throw new Error("this browser cannot receive push notifications");
  }
  const registration = await navigator.serviceWorker.register("/loop311-sw.js");
  const {public_key} = await (await fetch(`${notifyUrl}/notify/v1/push/key`)).json();
  const existing = await registration.pushManager.getSubscription();
  return existing || registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: loop311Base64UrlToBytes(public_key),
  });
}

async function loop311FollowRequest(notifyUrl, requestId, token, language = "en") {
  const subscription = await loop311PushSubscription(notifyUrl);
  return loop311Post(`${notifyUrl}/notify/v1/requests/${requestId}/push`, {
    token, language, push: {platform: "webpush", subscription: subscription.toJSON()},
  });
}

async function loop311FollowTopic(notifyUrl, topic, language = "en") {
  const subscription = await loop311PushSubscription(notifyUrl);
  return loop311Post(`${notifyUrl}/notify/v1/subscriptions`, {
    kind: "topic", channel: "push", topic, language,
    push: {platform: "webpush", subscription: subscription.toJSON()},
  });
}

async function loop311Post(url, body) {
  const answer = await fetch(url, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  });
  if (!answer.ok) throw new Error((await answer.json())[0].description);
  return answer.json();
}

function loop311Base64UrlToBytes(text) {
  const base64 = (text + "=".repeat((4 - text.length % 4) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}
