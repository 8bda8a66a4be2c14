// Loop311 push: a service worker a city's site can serve as /loop311-sw.js.
// notify sends {title, body, url} (encrypted per RFC 8291; the browser decrypts it).
self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : {title: "Loop311", body: ""};
  event.waitUntil(self.registration.showNotification(message.title, {
    body: message.body,
    data: {url: message.url || "/"},
    icon: "/favicon.ico",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
