// Heap test program: blocks allocated in one thread and freed in another (a producer and
// a consumer passing 20000 blocks through a queue), plus 4 worker threads that each leak
// 8 x 333 bytes and exit, and a thread started after all that churn that leaks 8 x 777.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE 64
#define ITEMS 20000

static void* queue[QUEUE];
static int head, tail, count;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
void* volatile g_sink;

static void* producer(void* arg) {
  (void)arg;
  for (int i = 0; i < ITEMS; ++i) {
    char* p = malloc((size_t)(i % 200) + 8);
    memset(p, 7, 8);
    pthread_mutex_lock(&mu);
    while (count == QUEUE) pthread_cond_wait(&not_full, &mu);
    queue[tail] = p;
    tail = (tail + 1) % QUEUE;
    ++count;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

static void* consumer(void* arg) {
  (void)arg;
  for (int i = 0; i < ITEMS; ++i) {
    pthread_mutex_lock(&mu);
    while (count == 0) pthread_cond_wait(&not_empty, &mu);
    void* p = queue[head];
    head = (head + 1) % QUEUE;
    --count;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&mu);
    free(p);
  }
  return NULL;
}

static void* leaker(void* arg) {
  size_t size = (size_t)(long)arg;
  for (int i = 0; i < 8; ++i) g_sink = malloc(size);
  return NULL;
}

int main(void) {
  pthread_t p, c, w[4], late;
  pthread_create(&c, NULL, consumer, NULL);
  pthread_create(&p, NULL, producer, NULL);
  for (int i = 0; i < 4; ++i) pthread_create(&w[i], NULL, leaker, (void*)333L);
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  for (int i = 0; i < 4; ++i) pthread_join(w[i], NULL);
  pthread_create(&late, NULL, leaker, (void*)777L);
  pthread_join(late, NULL);
  printf("heap_threads done\n");
  return 0;
}
