<?php
// A plain PHP curl call to a webhook, as the docs' PHP examples make one
// (settings/how-to-call-rest-api/data-encoding.md): JSON bodies, and PHP
// forms built with http_build_query. Prints one line per step.
//
//   B24IM_WEBHOOK=https://127.0.0.1:8443/rest/1/KEY/ SSL_CERT_FILE=b24im-data/tls/ca.pem \
//     php compat/php/webhook.php

$webhook = getenv('B24IM_WEBHOOK');

function call($method, array $params, $asJson)
{
    global $webhook;
    $ch = curl_init();
    curl_setopt($ch, CURLOPT_USERAGENT, 'php script');
    curl_setopt($ch, CURLOPT_HEADER, false);
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($ch, CURLOPT_TIMEOUT, 5);
    curl_setopt($ch, CURLOPT_URL, $webhook . $method);
    curl_setopt($ch, CURLOPT_POST, 1);
    if (getenv('SSL_CERT_FILE')) {
        curl_setopt($ch, CURLOPT_CAINFO, getenv('SSL_CERT_FILE'));
    }
    if ($asJson) {
        curl_setopt($ch, CURLOPT_HTTPHEADER, ['Content-Type: application/json']);
        curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode($params));
    } else {
        curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query($params));
    }
    $raw = curl_exec($ch);
    $status = curl_getinfo($ch, CURLINFO_HTTP_CODE);
    curl_close($ch);
    return [$status, json_decode($raw, true)];
}

[, $chat] = call('im.chat.add', ['TITLE' => 'PHP', 'USERS' => [1]], false);
[, $msg] = call('im.message.add', ['DIALOG_ID' => 'chat' . $chat['result'], 'MESSAGE' => 'Like me'], true);
[$status, $like] = call('im.message.like', ['MESSAGE_ID' => $msg['result'], 'ACTION' => 'plus'], false);
echo $status, ' ', var_export($like['result'], true), "\n";
[$status, $again] = call('im.message.like', ['MESSAGE_ID' => $msg['result'], 'ACTION' => 'plus'], true);
echo $status, ' ', $again['error'], "\n";
[, $history] = call('im.dialog.messages.get', ['DIALOG_ID' => 'chat' . $chat['result']], false);
foreach ($history['result']['messages'] as $m) {
    if ($m['id'] == $msg['result']) {
        echo json_encode($m['params']['LIKE']), "\n";
    }
}
