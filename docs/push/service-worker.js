// Loop311 push: a service worker a city's site can serve as /loop311-sw.js.
// notify sends {title, body, url, unsubscribe} (encrypted per RFC 8291; the browser
// decrypts it). `unsubscribe` is the subscription's one-step way out: offered as an action,
// never as what a tap opens.
self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : {title: "Loop311", body: ""};
  event.waitUntil(self.registration.showNotification(message.title, {
    body: message.body,
    data: {url: message.url || "/", unsubscribe: message.unsubscribe || ""},
    icon: "/favicon.ico",
    actions: message.unsubscribe ? [{action: "stop", title: "Stop these"}] : [],
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const {url, unsubscribe} = event.notification.data;
  if (event.action === "stop" && unsubscribe) {
    event.waitUntil(fetch(unsubscribe, {method: "POST"}));
  } else {
    event.waitUntil(clients.openWindow(url));
  }
});
