  // IXON's client never settles a call whose function failed (an HTTP error is dropped
  // before it reaches the component), so a call not answered within this time is shown as an
  // error; an answer that still comes later replaces it.
  const ANSWER_WITHIN_MS = 3000;

  // What the function answered, unless it is an error: IXON's error shape
  // ({status: 'error', data: [{message}]}) or ixoncdkingress's "Not found, function ..." text.
  function failure(data) {
    if (data && data.status === 'error') {
      const messages = (Array.isArray(data.data) ? data.data : []).map((item) => item && item.message);
      return messages.filter(Boolean).join('; ') || 'an error without a message';
    }
    if (typeof data === 'string' && data.startsWith('Not found, function')) return data;
    return '';
  }

  // The data of `asked` (a call of `name`), or an error when it failed or did not answer.
  async function answered(name, asked) {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${name} has not answered within ${ANSWER_WITHIN_MS / 1000} s: it failed ` +
                "(the function's log says why; locally, invoke serve's) or is not reachable",
            ),
          ),
        ANSWER_WITHIN_MS,
      );
    });
    try {
      const result = await Promise.race([asked, late]);
      const problem = failure(result && result.data);
      if (problem) throw new Error(`${name} failed: ${problem}`);
      return result.data;
    } finally {
      clearTimeout(timer);
    }
  }
