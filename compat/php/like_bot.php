<?php
// A Bitrix24 chat-bot handler written the way the docs' PHP examples are
// (the founding page, ../shared/reference/seed/: `restCommand('im.message.like',
// [...], $_REQUEST["auth"])`): it likes every message written to it with the
// `auth` the event handed it, answers, and logs what each call returned.
//
//   B24IM_PHP_LOG=/tmp/bot.log php -S 127.0.0.1:9100 compat/php/like_bot.php
//
// It reads PHP's own $_REQUEST (the form Bitrix24 posts with PHP brackets:
// data[PARAMS][MESSAGE_ID], auth[access_token], ...) and calls back with
// curl, as a PHP form, to auth[client_endpoint] with auth=auth[access_token].

/**
 * Calls a REST method the way Bitrix24's bot examples do: a POST of the
 * parameters plus `auth` to `$auth['client_endpoint'] . $method`.
 */
function restCommand($method, array $params = [], array $auth = [])
{
    $queryUrl = $auth['client_endpoint'] . $method;
    $queryData = http_build_query(array_merge($params, ['auth' => $auth['access_token']]));

    $curl = curl_init();
    curl_setopt_array($curl, [
        CURLOPT_POST => 1,
        CURLOPT_HEADER => 0,
        CURLOPT_RETURNTRANSFER => 1,
        CURLOPT_URL => $queryUrl,
        CURLOPT_POSTFIELDS => $queryData,
    ]);
    $result = curl_exec($curl);
    curl_close($curl);

    return json_decode($result, true);
}

function writeToLog($title, $data)
{
    $line = json_encode(['title' => $title, 'data' => $data]) . "\n";
    file_put_contents(getenv('B24IM_PHP_LOG'), $line, FILE_APPEND | LOCK_EX);
}

$event = $_REQUEST['event'] ?? '';
writeToLog('event', ['event' => $event, 'scope' => $_REQUEST['auth']['scope'] ?? null]);

if ($event == 'ONIMBOTMESSAGEADD') {
    $result = restCommand(
        'im.message.like',
        [
            'MESSAGE_ID' => $_REQUEST['data']['PARAMS']['MESSAGE_ID'],
            'ACTION' => 'auto',
        ],
        $_REQUEST['auth']
    );
    writeToLog('im.message.like', [
        'MESSAGE_ID' => $_REQUEST['data']['PARAMS']['MESSAGE_ID'],
        'response' => $result,
    ]);

    foreach ($_REQUEST['data']['BOT'] as $botId => $bot) {
        $result = restCommand(
            'imbot.message.add',
            [
                'BOT_ID' => $botId,
                'DIALOG_ID' => $_REQUEST['data']['PARAMS']['DIALOG_ID'],
                'MESSAGE' => 'Liked it, from PHP',
            ],
            $_REQUEST['auth']
        );
        writeToLog('imbot.message.add', ['response' => $result]);
    }
}
echo 'ok';
